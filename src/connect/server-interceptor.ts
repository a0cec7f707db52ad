/**
 * Connect-ES server interceptor: decides the gray context of each call as an edge does (trust,
 * tokens, coloring rules, health paths) and makes it visible to the handler for all four call types.
 * @packageDocumentation
 */
import type { Interceptor, StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from '@connectrpc/connect';
import { bindAsyncIterable } from '../core/bind-async.js';
import { grayStorage, type GrayContext } from '../core/context.js';
import { createGrayEdge, type GrayEdge, type GrayEdgeOptions } from '../core/edge.js';
import { headersCarrier } from '../core/headers-carrier.js';
import { GRAY_CONTEXT_KEY, recordConnectCall } from './call-context.js';

/** A Connect call as an interceptor sees it (unary or streaming). */
export type ConnectRequest = UnaryRequest | StreamRequest;
type ConnectResponse = UnaryResponse | StreamResponse;
type Next = (req: ConnectRequest) => Promise<ConnectResponse>;

/** Health-check calls that get no gray context by default: the standard gRPC health service's methods. */
export const CONNECT_HEALTH_PATHS: readonly string[] = Object.freeze(['/grpc.health.v1.Health/Check', '/grpc.health.v1.Health/Watch']);

/**
 * Options of {@link grayServerInterceptor}: a policy (or its options) plus the edge settings of
 * `graylane/http` — `trustIncoming` (default **`false`**: a Connect router often faces browsers),
 * `trust` (a token rule, or a predicate over the Connect request), `rules`, `healthPaths` (default
 * {@link CONNECT_HEALTH_PATHS}, compared with the request URL's normalised path) and `echoStage`
 * (default `false`; the echo goes in the response headers unless the handler set that header).
 */
export type GrayConnectServerOptions = GrayEdgeOptions<ConnectRequest>;

function callNext(next: Next, req: ConnectRequest): Promise<ConnectResponse> {
  return next(req);
}

/** The response with its message stream stepping inside `ctx`, and the echo header set. */
function finish(res: ConnectResponse, ctx: GrayContext, echo: string | undefined): ConnectResponse {
  if (echo !== undefined && !res.header.has(echo)) res.header.set(echo, ctx.stage);
  return res.stream ? { ...res, message: bindAsyncIterable(res.message, ctx) } : res;
}

/**
 * Creates a Connect-ES server interceptor: `connectNodeAdapter({ routes, interceptors: [grayServerInterceptor()] })`
 * (or `createConnectRouter({ interceptors })`, `fastifyConnectPlugin`, `expressConnectMiddleware`).
 *
 * Every call type's handler sees the gray context (`getGrayContext()`, `getReleaseStage()`, and
 * `getCallGrayContext(context)`): at entry, after `await`, across every step of an async-generator
 * response (Connect drives it after the interceptor returned) and inside `for await` over the
 * request stream — isolated between concurrent calls, identically over the Connect, gRPC and
 * gRPC-Web protocols. Put it first in `interceptors` (Connect runs the first one outermost) so the
 * other interceptors run inside the context too.
 *
 * Trust: a Connect router is often reachable from browsers, so by default a client-supplied stage
 * is NOT believed (reported to `onInvalid` as `'untrusted'`; the stage comes from `rules` or is the
 * default) and graylane's control keys are not taken. An internal service called only by other
 * graylane hops opts in with `trustIncoming: true`; testers can be admitted with a `trust` token.
 *
 * @throws GrayConfigError at construction for bad options (policy, trust, rules, healthPaths, echoStage).
 * @example
 * connectNodeAdapter({ routes, interceptors: [grayServerInterceptor({ trustIncoming: true })] });
 */
export function grayServerInterceptor(options: GrayConnectServerOptions = {}): Interceptor {
  const edge: GrayEdge<ConnectRequest> = createGrayEdge<ConnectRequest>(options, CONNECT_HEALTH_PATHS);
  const policy = edge.policy;
  const echo = edge.echoHeader;
  const storage = grayStorage();
  return (next) => (req) => {
    const ctx = edge.decide(req, req.header, headersCarrier, req.url);
    if (ctx === undefined) return next(req);
    recordConnectCall(req.header, ctx, policy);
    req.contextValues.set(GRAY_CONTEXT_KEY, ctx);
    const inner: ConnectRequest = req.stream ? { ...req, message: bindAsyncIterable(req.message, ctx) } : req;
    // next runs inside ctx (the handler starts right away); the response stream steps inside it too.
    return storage.run(ctx, callNext, next as Next, inner).then((res) => finish(res, ctx, echo));
  };
}
