/**
 * RxJS operators that carry the gray context through pipelines built outside a request: capture
 * each value's context where it enters, and run a (sub)pipeline's subscription and emissions in a
 * given context.
 * @packageDocumentation
 */
import { Observable, type MonoTypeOperatorFunction, type OperatorFunction } from 'rxjs';
import { getGrayContext, grayStorage, runOutsideGrayContext, type GrayContext } from '../core/context.js';

/** A value with the gray context current when it entered the pipeline (see {@link captureGrayContext}). */
export interface GrayTagged<T> {
  /** The value. */
  readonly value: T;
  /** The gray context current when the value was emitted into the pipeline, or `undefined` outside any request. */
  readonly gray: GrayContext | undefined;
}

/** Runs `fn` in `ctx`, or with no context when `ctx` is `undefined` (never in a stranger's). */
function runIn<R>(ctx: GrayContext | undefined, fn: () => R): R {
  return ctx === undefined ? runOutsideGrayContext(fn) : grayStorage().run(ctx, fn);
}

/**
 * Runs the source's subscription — and so everything the subscription starts: the gRPC calls of a
 * Nest `ClientGrpc` Observable, `defer` / `from(promise)` factories, timers of `bufferTime`,
 * `interval`, `delay` — inside `ctx`, and delivers every `next`, `error` and `complete` to the
 * operators below inside `ctx` too. With `ctx` `undefined` they run with no gray context.
 *
 * Use it where a pipeline runs outside the request that produced its data — a `Subject` batched in
 * `onModuleInit`, a shared stream — on the inner Observable of a `mergeMap` / `concatMap`, with the
 * context of the item (or batch) it handles. A `ClientGrpc` method subscribed without it carries the
 * context of whoever subscribed (for a pipeline built in `onModuleInit`: none, so the default stage).
 *
 * @example
 * mergeMap((batch) => this.hop.unary({ id: batch.ids }).pipe(withGrayContext(batch.gray)))
 */
export function withGrayContext<T>(ctx: GrayContext | undefined): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) =>
      runIn(ctx, () =>
        source.subscribe({
          next: (value) => runIn(ctx, () => subscriber.next(value)),
          error: (err: unknown) => runIn(ctx, () => subscriber.error(err)),
          complete: () => runIn(ctx, () => subscriber.complete()),
        }),
      ),
    );
}

/**
 * Pairs every value with the gray context current when it passes this operator: `{ value, gray }`.
 * Put it right after the point where values enter a pipeline that lives outside requests (e.g. first
 * in `subject.pipe(...)`): `Subject.next` delivers synchronously in the caller's context, so each
 * value is tagged with the request that emitted it, and later stages (`groupBy` stage, `bufferTime`)
 * can batch per stage and call downstream with {@link withGrayContext}.
 *
 * @example
 * subject.pipe(captureGrayContext(), groupBy((t) => t.gray?.stage ?? 'stable'), ...)
 */
export function captureGrayContext<T>(): OperatorFunction<T, GrayTagged<T>> {
  return (source) =>
    new Observable<GrayTagged<T>>((subscriber) =>
      source.subscribe({
        next: (value) => subscriber.next({ value, gray: getGrayContext() }),
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}
