/**
 * Per-message gray contexts: the context a consumer decided for each message it delivered, kept for
 * handlers that batch messages or acknowledge them later, and the one way to run a handler in it.
 * @packageDocumentation
 */
import { grayStorage, type GrayContext } from '../core/context.js';

const decided = new WeakMap<object, GrayContext>();

/** Remembers the context decided for `message` (a broker's message object). Internal. */
export function rememberMessageContext(message: object, ctx: GrayContext): void {
  decided.set(message, ctx);
}

/**
 * The gray context graylane decided for a message it delivered to your handler (validated by the
 * consumer's policy), or `undefined` for a message graylane did not deliver. Use it to run work for
 * a message later, outside the handler — a batch flushed on a timer, an ack after a downstream call:
 * `runWithGrayContext(getMessageGrayContext(msg)!, () => ...)`.
 */
export function getMessageGrayContext(message: object): GrayContext | undefined {
  return decided.get(message);
}

/** Runs `handler(...args)` inside `ctx` (every `await`, callback and call it starts sees `ctx`). Internal. */
export function runInMessageContext<A extends unknown[], R>(ctx: GrayContext, handler: (...args: A) => R, ...args: A): R {
  return grayStorage().run(ctx, handler, ...args);
}
