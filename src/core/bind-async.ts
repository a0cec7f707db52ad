/**
 * Binds async generators and iterables to a gray context: every `next` / `throw` / `return` re-enters
 * the context, so a generator body sees it after each `yield` whoever drives it.
 * @packageDocumentation
 */
import { grayStorage, type GrayContext } from './context.js';
import { grayScope, runInGrayScope, type GrayScope } from './scope.js';

function callNext<T, R, N>(it: AsyncIterator<T, R, N>, args: [] | [N]): Promise<IteratorResult<T, R>> {
  return it.next(...args);
}
function callReturn<T, R, N>(it: AsyncIterator<T, R, N>, value: R | PromiseLike<R>): Promise<IteratorResult<T, R>> {
  return it.return === undefined ? Promise.resolve({ done: true, value: value as R }) : it.return(value);
}
function callThrow<T, R, N>(it: AsyncIterator<T, R, N>, error: unknown): Promise<IteratorResult<T, R>> {
  if (it.throw === undefined) return Promise.reject(error);
  return it.throw(error);
}

/**
 * An async generator that forwards to `source`, running each step inside `ctx` (entered once, then
 * re-entered: see core/scope.ts). Methods live on the prototype: no closure per step.
 */
class BoundAsyncGenerator<T, R, N> implements AsyncGenerator<T, R, N> {
  private scope: GrayScope | undefined;

  constructor(
    private readonly source: AsyncIterator<T, R, N>,
    private readonly ctx: GrayContext,
  ) {}

  next(...args: [] | [N]): Promise<IteratorResult<T, R>> {
    return runInGrayScope(this.scope ??= grayScope(this.ctx), callNext<T, R, N>, this.source, args);
  }

  return(value: R | PromiseLike<R>): Promise<IteratorResult<T, R>> {
    return runInGrayScope(this.scope ??= grayScope(this.ctx), callReturn<T, R, N>, this.source, value);
  }

  throw(error: unknown): Promise<IteratorResult<T, R>> {
    return runInGrayScope(this.scope ??= grayScope(this.ctx), callThrow<T, R, N>, this.source, error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return(undefined as R);
  }
}

/**
 * Returns an async generator driving `source` inside `ctx`: the body of `source` (and whatever it
 * awaits) sees `ctx` on every `next`, `throw` and `return`, whoever calls them.
 */
export function bindAsyncGenerator<T, R, N>(source: AsyncIterator<T, R, N>, ctx: GrayContext): AsyncGenerator<T, R, N> {
  return new BoundAsyncGenerator(source, ctx);
}

/** Returns an async iterable whose iterators step inside `ctx` (see {@link bindAsyncGenerator}). */
export function bindAsyncIterable<T>(source: AsyncIterable<T>, ctx: GrayContext): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => bindAsyncGenerator(grayStorage().run(ctx, () => source[Symbol.asyncIterator]()), ctx),
  };
}
