/**
 * grpc-js client interceptor: merges the current gray context into outgoing metadata and runs the
 * response callbacks in the caller's context (or in none, for a call made outside any context).
 * @packageDocumentation
 */
import type { Interceptor } from '@grpc/grpc-js';
import { getGrayContext } from '../core/context.js';
import { decidedCall, stripPolicyKeys } from './call-context.js';
import { clientInterceptorOf, type ClientJob } from './client-call.js';
import { mergeIntoMetadata } from './forward.js';

/** Options of {@link grayClientInterceptor}. */
export interface GrayClientInterceptorOptions {
  /** Replace keys the caller set explicitly. Default `false`: the caller's values win. */
  readonly overwrite?: boolean;
}

/**
 * The context job of a grpc-js client interceptor: merges the caller's context into a copy of the
 * outgoing metadata and runs the response callbacks in it (or in none, for a call made outside any
 * context). Passed-on incoming metadata loses the keys the server's policy governs. It goes first:
 * the jobs after it see the merged metadata. Internal.
 */
export function contextClientJob(options: GrayClientInterceptorOptions): ClientJob {
  const overwrite = options.overwrite === true;
  return {
    start(call) {
      let metadata = call.metadata;
      let ctx = getGrayContext();
      const incoming = decidedCall(metadata);
      if (incoming !== undefined) {
        // A server call's incoming metadata passed on as-is: its gray keys are the caller's claims,
        // not keys set here. Drop them; the decided (or current) context is added below.
        metadata = metadata.clone();
        stripPolicyKeys(metadata, incoming.policy);
        ctx ??= incoming.ctx;
      }
      if (ctx === undefined) {
        call.metadata = metadata;
        return call.deliverIn(null);
      }
      call.metadata = mergeIntoMetadata(ctx, metadata, overwrite);
      call.deliverIn(ctx);
    },
  };
}

/**
 * Creates a grpc-js client interceptor for `new Client(address, credentials, { interceptors: [...] })`
 * (or a per-call `interceptors` option — note that per-call interceptors *replace* the client's).
 *
 * When a call starts inside a gray context, the context's entries are added to a copy of the
 * outgoing metadata (the caller's `Metadata` object is never modified); keys the caller set win.
 * Outgoing metadata that is a server call's incoming `Metadata` passed on as-is (`call.metadata`)
 * is the exception: the keys the server's policy governs are the remote caller's, not yours, so
 * they are dropped and that call's decided context (or the current one) is sent instead.
 * Response metadata, messages and status callbacks run in the caller's context; for a call made
 * outside any gray context they run with none (never in the context of the request that happened
 * to open the connection). Stream write callbacks run in the context of the code that wrote.
 */
export function grayClientInterceptor(options: GrayClientInterceptorOptions = {}): Interceptor {
  return clientInterceptorOf([contextClientJob(options)]);
}
