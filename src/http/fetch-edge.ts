/**
 * The Fetch-API edge: the same decision as the Node middleware (trust, tokens, coloring rules,
 * health paths, echo) for anything that hands you a Fetch `Request` — a `(Request) => Response`
 * handler wrapper here, the Hono middleware in hono.ts.
 * @packageDocumentation
 */
import { grayStorage, type GrayContext } from '../core/context.js';
import { createGrayEdge, type GrayEdge, type GrayEdgeOptions } from '../core/edge.js';
import { headersCarrier } from '../core/headers-carrier.js';
import { DEFAULT_HEALTH_PATHS } from './edge.js';

/**
 * Options of `grayFetchHandler` and `grayHonoMiddleware`: those of `grayHttpMiddleware` —
 * `trustIncoming` (default `false`), `trust` (a token rule, or a predicate over the Fetch
 * `Request`), `rules`, `healthPaths` (default `['/healthz', '/readyz', '/livez']`), `echoStage`
 * (default `false`) — and the policy options.
 */
export type GrayFetchOptions = GrayEdgeOptions<Request>;

/** Builds the Fetch edge (validated options). Internal. */
export function createFetchEdge(options: GrayFetchOptions = {}): GrayEdge<Request> {
  return createGrayEdge<Request>(options, DEFAULT_HEALTH_PATHS);
}

/** The context decided for a Fetch request, or `undefined` for a health path. Never throws on input. Internal. */
export function decideFetch(edge: GrayEdge<Request>, req: Request): GrayContext | undefined {
  return edge.decide(req, req.headers, headersCarrier, req.url);
}

/**
 * `res` with the echo header set (unless it already has one). A response whose headers are
 * immutable (e.g. one returned by `fetch`) is re-wrapped around the same body.
 */
export function echoOnResponse(res: Response, name: string, stage: string): Response {
  if (res.headers.has(name)) return res;
  try {
    res.headers.set(name, stage);
    return res;
  } catch {
    const headers = new Headers(res.headers);
    headers.set(name, stage);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
}

/**
 * Wraps a Fetch-API handler — `(request, ...rest) => Response` as Bun, Deno, Cloudflare Workers,
 * `@hono/node-server`'s `serve` or any WinterCG runtime call it — so it runs inside the request's
 * gray context: the handler, everything it awaits, work it starts before returning (such as the
 * writer of a streamed body) and outgoing calls made through `grayClientInterceptor` (graylane/grpc-js,
 * graylane/connect) or `withGrayHeaders` see it. The decision is the HTTP edge's: a client-supplied
 * stage only when trusted (`trustIncoming`, default `false`, or a `trust` rule), else the first
 * matching coloring rule, else the default stage; health paths are passed straight on without a
 * context. With `echoStage`, the response carries the stage (a header the handler set wins). Never
 * rejects a request on its input; errors from the handler propagate unchanged.
 *
 * @throws GrayConfigError at construction for bad options.
 * @example
 * export default { fetch: grayFetchHandler((req) => new Response(getReleaseStage())) };
 */
export function grayFetchHandler<A extends unknown[]>(
  handler: (request: Request, ...rest: A) => Response | Promise<Response>,
  options: GrayFetchOptions = {},
): (request: Request, ...rest: A) => Promise<Response> {
  const edge = createFetchEdge(options);
  const storage = grayStorage();
  const echo = edge.echoHeader;
  return async (request, ...rest) => {
    const ctx = decideFetch(edge, request);
    if (ctx === undefined) return handler(request, ...rest);
    const res = await storage.run(ctx, handler, request, ...rest);
    return echo === undefined ? res : echoOnResponse(res, echo, ctx.stage);
  };
}
