/**
 * Running a consumer's handler for one message, shared by every queue adapter: inside the message's
 * gray context (remembered for batches and late acks), timed, fed to the metrics and the rollback
 * guard, errors passed to the user's hook; the adapter settles the message (ack / nack) after.
 * @packageDocumentation
 */
import type { GrayContext } from '../core/context.js';
import type { ConsumerFeed } from './consumer-feed.js';
import { rememberMessageContext, runInMessageContext } from './message-context.js';

/** What the runner needs from an adapter. Internal. */
export interface MessageRunnerOptions<M extends object> {
  /** The user's handler, run inside the message's context. */
  readonly handler: (message: M, ctx: GrayContext) => unknown;
  /** The `queue` label of the feeds. */
  readonly queue: string;
  /** Metrics and guard, if any. */
  readonly feed: ConsumerFeed | undefined;
  /** The user's error hook (its own errors are ignored). */
  readonly onError: ((error: unknown, message: M) => void) | undefined;
  /**
   * Settles the message once its handler finished: `ok` when it returned or resolved; `outcome` is
   * what it returned (resolved with) or the error it threw (rejected with). Errors it throws are ignored.
   */
  readonly settle: (message: M, ok: boolean, ctx: GrayContext, outcome: unknown) => void;
}

/**
 * A function handling one message in `ctx` (decided by the adapter from the message's carrier):
 * runs the handler, then reports and settles when its promise (if any) settles. Never throws. Internal.
 */
export function messageRunner<M extends object>(options: MessageRunnerOptions<M>): (message: M, ctx: GrayContext) => void {
  const { handler, queue, feed, onError, settle } = options;
  const finish = (message: M, ctx: GrayContext, t0: number, ok: boolean, outcome: unknown): void => {
    feed?.(queue, ctx.stage, ok, performance.now() - t0);
    if (!ok && onError !== undefined) {
      try {
        onError(outcome, message);
      } catch {
        // the hook must not break consumption
      }
    }
    try {
      settle(message, ok, ctx, outcome);
    } catch {
      // the connection closed under us: the broker redelivers the unacked message (headers kept)
    }
  };
  return (message, ctx) => {
    rememberMessageContext(message, ctx);
    const t0 = performance.now();
    let result: unknown;
    try {
      result = runInMessageContext(ctx, handler, message, ctx);
    } catch (e) {
      finish(message, ctx, t0, false, e);
      return;
    }
    if (result !== null && typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      (result as PromiseLike<unknown>).then((value) => finish(message, ctx, t0, true, value), (e: unknown) => finish(message, ctx, t0, false, e));
    } else {
      finish(message, ctx, t0, true, result);
    }
  };
}
