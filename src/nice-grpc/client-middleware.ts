/**
 * nice-grpc client middleware: merges the gray context into a copy of the call's metadata.
 * @packageDocumentation
 */
import { Metadata, type CallOptions, type ClientMiddleware, type ClientMiddlewareCall } from 'nice-grpc-common';
import { getGrayContext, type GrayContext } from '../core/context.js';
import { bindAsyncGenerator } from '../core/bind-async.js';
import { decidedNiceCall, stripNicePolicyKeys } from './call-context.js';
import { mergeIntoNiceMetadata } from './forward.js';

/** Options of {@link grayClientMiddleware}. */
export interface GrayClientMiddlewareOptions {
  /** Replace keys the caller set explicitly. Default `false`: the caller's values win. */
  readonly overwrite?: boolean;
}

type AnyGenerator<T> = AsyncGenerator<T, T | void, undefined>;

function start<Req, Res>(call: ClientMiddlewareCall<Req, Res>, options: CallOptions, ctx: GrayContext, overwrite: boolean): AnyGenerator<Res> {
  const metadata = mergeIntoNiceMetadata(ctx, options.metadata, overwrite);
  const next = metadata === options.metadata ? options : { ...options, metadata };
  return bindAsyncGenerator(call.next(call.request, next) as AnyGenerator<Res>, ctx);
}

/** Reads the context when the call actually starts (first step of the generator). */
async function* startLater<Req, Res>(call: ClientMiddlewareCall<Req, Res>, options: CallOptions, overwrite: boolean): AnyGenerator<Res> {
  const ctx = getGrayContext();
  if (ctx === undefined) return yield* call.next(call.request, options) as AnyGenerator<Res>;
  return yield* start(call, options, ctx, overwrite);
}

/**
 * Call options whose `metadata` is a server call's incoming `Metadata` passed on as-is get a copy
 * without the keys that call's policy governs (the remote caller's claims), plus that call's context.
 */
function passedOn(callOptions: CallOptions): { options: CallOptions; ctx: GrayContext } | undefined {
  const md = callOptions.metadata;
  const incoming = md === undefined ? undefined : decidedNiceCall(md);
  if (incoming === undefined) return undefined;
  const copy = Metadata(md);
  stripNicePolicyKeys(copy, incoming.policy);
  return { options: { ...callOptions, metadata: copy }, ctx: incoming.ctx };
}

/**
 * Creates a nice-grpc client middleware: `createClientFactory().use(grayClientMiddleware())`.
 *
 * Adds the gray context's entries to a copy of the call's `metadata` (the caller's `Metadata`
 * object is never modified; keys the caller set win unless `overwrite`). The context is read when
 * the client method is called if this is the outermost client middleware — the one `use`d LAST on
 * the factory, since nice-grpc runs the last-used client middleware first. Otherwise (or when there
 * is no context at that moment) it is read when the call starts — for streaming responses, when
 * iteration starts. The call itself then runs inside that context. Call options whose `metadata`
 * is a server call's incoming `Metadata` passed on as-is (`{ metadata: context.metadata }`) are the
 * exception: the keys the server's policy governs are the remote caller's, not yours, so they are
 * dropped and that call's decided context (or the current one) is sent instead.
 */
export function grayClientMiddleware(options: GrayClientMiddlewareOptions = {}): ClientMiddleware {
  const overwrite = options.overwrite === true;
  return function grayClientCall<Req, Res>(call: ClientMiddlewareCall<Req, Res>, callOptions: CallOptions): AnyGenerator<Res> {
    const ctx = getGrayContext();
    const incoming = passedOn(callOptions);
    if (incoming !== undefined) return start(call, incoming.options, ctx ?? incoming.ctx, overwrite);
    if (ctx === undefined) return startLater(call, callOptions, overwrite);
    return start(call, callOptions, ctx, overwrite);
  };
}
