/**
 * Connect-ES client interceptor: adds the current gray context to a copy of the request headers
 * and iterates the response stream in the caller's context.
 * @packageDocumentation
 */
import type { Interceptor, StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from '@connectrpc/connect';
import { bindAsyncIterable } from '../core/bind-async.js';
import { getGrayContext, type GrayContext } from '../core/context.js';
import { headersCarrier } from '../core/headers-carrier.js';

/** Options of {@link grayClientInterceptor}. */
export interface GrayConnectClientOptions {
  /** Replace header values the caller set explicitly. Default `false`: the caller's values win. */
  readonly overwrite?: boolean;
}

type ConnectResponse = UnaryResponse | StreamResponse;

/** A copy of `header` with `ctx`'s entries added, or `header` itself when nothing needs adding. */
export function mergeIntoHeaders(ctx: GrayContext, header: Headers, overwrite: boolean): Headers {
  let out: Headers | undefined;
  const entries = ctx.entries;
  for (const key in entries) {
    if (!overwrite && header.has(key)) continue;
    out ??= new Headers(header);
    headersCarrier.set(out, key, entries[key]!);
  }
  return out ?? header;
}

function bindResponse(res: ConnectResponse, ctx: GrayContext): ConnectResponse {
  return res.stream ? { ...res, message: bindAsyncIterable(res.message, ctx) } : res;
}

/**
 * Creates a Connect-ES client interceptor for any transport —
 * `createGrpcTransport({ baseUrl, interceptors: [grayClientInterceptor()] })`, `createConnectTransport`,
 * `createGrpcWebTransport`, the fetch-based transports of `@connectrpc/connect-web` alike.
 *
 * The gray context current when the call starts (for a streaming response: when iteration starts)
 * is added to a copy of the request headers; header names the caller set win unless `overwrite`.
 * A response stream is iterated in that context, so code after each `for await` step sees it.
 * Outside any gray context the call goes out unchanged.
 */
export function grayClientInterceptor(options: GrayConnectClientOptions = {}): Interceptor {
  const overwrite = options.overwrite === true;
  return (next) => (req: UnaryRequest | StreamRequest) => {
    const ctx = getGrayContext();
    if (ctx === undefined) return next(req);
    const header = mergeIntoHeaders(ctx, req.header, overwrite);
    const out = header === req.header ? req : { ...req, header };
    return next(out).then((res) => bindResponse(res, ctx));
  };
}
