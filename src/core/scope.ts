/**
 * Re-entering one gray context many times — the events of one gRPC call — at the lowest cost the
 * runtime allows. Where `AsyncLocalStorage` runs on `AsyncContextFrame` (Node 24 and later by
 * default) every `run()` copies the current frame: a call's context is entered once and its frame
 * re-entered (`AsyncResource.runInAsyncScope`, no allocation). Where it runs on async_hooks (Node 20
 * and 22) `run()` allocates nothing and an `AsyncResource` would cost an init hook: `run()` it is.
 * Internal.
 * @packageDocumentation
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { grayStorage, type GrayContext } from './context.js';

/**
 * `true` where `AsyncLocalStorage` is the AsyncContextFrame implementation. The async_hooks one (Node
 * 20, 22, and 24+ with `--no-async-context-frame`) has a `_propagate` hook method; the frame one has
 * none. A wrong guess costs speed, never correctness: both paths enter the same context.
 */
const FRAME_BASED = typeof (AsyncLocalStorage.prototype as { _propagate?: unknown })._propagate !== 'function';

/**
 * A context entered for re-use: on frame-based runtimes the `AsyncResource` holding the frame with
 * the context in it, elsewhere the context itself. Internal.
 */
export type GrayScope = AsyncResource | GrayContext;

function newResource(): AsyncResource {
  return new AsyncResource('graylane.context');
}

/**
 * The scope of `ctx`: made from the current frame when `ctx` is already current (a client call
 * started inside its caller's context), else from a frame with `ctx` entered once. Internal.
 */
export function grayScope(ctx: GrayContext): GrayScope {
  if (!FRAME_BASED) return ctx;
  const storage = grayStorage();
  return storage.getStore() === ctx ? newResource() : storage.run(ctx, newResource);
}

/** Runs `fn(a, b)` inside `scope`'s context (see {@link grayScope}). Internal. */
export function runInGrayScope<T, U, R>(scope: GrayScope, fn: (a: T, b: U) => R, a: T, b: U): R {
  if (FRAME_BASED) return (scope as AsyncResource).runInAsyncScope(fn, undefined, a, b);
  return grayStorage().run(scope as GrayContext, fn, a, b);
}
