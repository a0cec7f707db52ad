/**
 * The Hono middleware: the Fetch-API edge as `app.use(grayHonoMiddleware(options))`. Typed
 * structurally, so `graylane/http` loads and type-checks without `hono` installed.
 * @packageDocumentation
 */
import { grayStorage } from '../core/context.js';
import { createFetchEdge, decideFetch, echoOnResponse, type GrayFetchOptions } from './fetch-edge.js';

/** The parts of a Hono `Context` the middleware uses (a Hono 4 `Context` fits). */
export interface HonoContextLike {
  /** The request; the middleware reads `raw`, the Fetch `Request`. */
  readonly req: { readonly raw: Request };
  /** The response, read and replaced after the handler (used for `echoStage`). */
  res: Response;
}

/** The middleware's type: a Hono `MiddlewareHandler` (`(c, next) => Promise<void>`). */
export type GrayHonoMiddleware = (c: HonoContextLike, next: () => Promise<void>) => Promise<void>;

/**
 * Creates the Hono middleware: `app.use(grayHonoMiddleware(options))` (register it first). It
 * decides the stage as `grayHttpMiddleware` does — same options: `trustIncoming` (default `false`),
 * `trust` (token rule or a predicate over `c.req.raw`), `rules`, `healthPaths`, `echoStage`,
 * policy options — and runs the rest of the chain inside that gray context: later middleware, the
 * handler, its awaits, streamed responses (`stream` / `streamSSE` from `hono/streaming`, whose
 * callbacks start inside the handler) and outgoing grpc-js / Connect / `fetch` calls made through
 * graylane's interceptors or `withGrayHeaders`. Works on every runtime Hono runs on; never rejects
 * a request on its input.
 *
 * @throws GrayConfigError at construction for bad options.
 * @example
 * const app = new Hono();
 * app.use(grayHonoMiddleware({ trust: { tokenHeader: 'x-gray-token', tokens: [process.env.GRAY_TOKEN!] } }));
 */
export function grayHonoMiddleware(options: GrayFetchOptions = {}): GrayHonoMiddleware {
  const edge = createFetchEdge(options);
  const storage = grayStorage();
  const echo = edge.echoHeader;
  return function grayHono(c, next) {
    const ctx = decideFetch(edge, c.req.raw);
    if (ctx === undefined) return next();
    if (echo === undefined) return storage.run(ctx, next);
    return storage.run(ctx, next).then(() => {
      // After the chain: a header the handler set wins; immutable headers get a re-wrapped response.
      const res = echoOnResponse(c.res, echo, ctx.stage);
      if (res !== c.res) c.res = res;
    });
  };
}
