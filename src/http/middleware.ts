/**
 * Connect / Express / `node:http` middleware that establishes the gray context for the rest of
 * the request.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { grayStorage } from '../core/context.js';
import { createHttpEdge, type GrayHttpOptions, type HttpEdge } from './edge.js';

/** A Connect/Express-style middleware: `(req, res, next)`. */
export type GrayHttpMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** Sets the echo header unless the response already has it or has started. */
export function echoStage(edge: HttpEdge, res: ServerResponse, stage: string): void {
  const name = edge.echoHeader;
  if (name === undefined || res.headersSent || res.hasHeader(name)) return;
  res.setHeader(name, stage);
}

/**
 * Creates the HTTP edge middleware. For each request it decides the stage — a client-supplied
 * stage only when trusted (`trustIncoming`, default `false`, or a `trust` rule admits it), else
 * the first matching coloring rule, else the default stage — and calls `next` inside that gray
 * context, so the route handler, everything it awaits, and downstream calls made through
 * `grayClientInterceptor` (graylane/grpc-js) or `withGrayHeaders` see it. Health-check paths
 * (`/healthz`, `/readyz`, `/livez` by default) get no context and are passed straight on.
 * The middleware never rejects a request and never throws on request input.
 *
 * @throws GrayConfigError at construction for bad options (policy, trust, rules, healthPaths, echoStage).
 * @example
 * app.use(grayHttpMiddleware({ trust: { tokenHeader: 'x-gray-token', tokens: [process.env.GRAY_TOKEN!] } }));
 */
export function grayHttpMiddleware(options: GrayHttpOptions = {}): GrayHttpMiddleware {
  const edge = createHttpEdge(options);
  const storage = grayStorage();
  return function grayHttp(req, res, next) {
    const ctx = edge.resolve(req);
    if (ctx === undefined) return next();
    echoStage(edge, res, ctx.stage);
    storage.run(ctx, next);
  };
}

/**
 * Wraps a plain `node:http` request listener so it runs inside the request's gray context:
 * `http.createServer(grayHttpHandler((req, res) => { ... }, options))`. Same options and
 * behaviour as {@link grayHttpMiddleware}; the handler's return value (e.g. a promise) is ignored.
 *
 * @throws GrayConfigError at construction for bad options.
 */
export function grayHttpHandler<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  handler: (req: Req, res: Res) => unknown,
  options: GrayHttpOptions = {},
): (req: Req, res: Res) => void {
  const middleware = grayHttpMiddleware(options);
  return (req, res) => middleware(req, res, () => void handler(req, res));
}
