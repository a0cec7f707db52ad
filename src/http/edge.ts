/**
 * The HTTP edge over Node requests: the options of the middleware and the Fastify plugin, and the
 * per-request decision — the core's edge (trust, extraction, health paths, coloring) read through
 * the request's header record and URL.
 * @packageDocumentation
 */
import type { IncomingMessage } from 'node:http';
import { recordCarrier } from '../core/carrier.js';
import type { GrayContext } from '../core/context.js';
import { createGrayEdge, type GrayEdgeOptions } from '../core/edge.js';
import type { GrayPolicy } from '../core/policy.js';

/** Paths never colored by default: `['/healthz', '/readyz', '/livez']`. */
export const DEFAULT_HEALTH_PATHS: readonly string[] = Object.freeze(['/healthz', '/readyz', '/livez']);

/**
 * Options of `grayHttpMiddleware`, `grayHttpHandler` and `grayFastifyPlugin`: a policy (or its
 * options) plus edge settings — `trustIncoming` (default `false`), `trust` (a token rule or a
 * predicate over the Node request), `rules`, `healthPaths` (default {@link DEFAULT_HEALTH_PATHS})
 * and `echoStage` (default `false`).
 */
export type GrayHttpOptions = GrayEdgeOptions<IncomingMessage>;

/** The validated edge configuration. */
export interface HttpEdge {
  /** The edge's policy. */
  readonly policy: GrayPolicy;
  /** The stage decided for `req`, or `undefined` for a health check. Never throws. */
  resolve(req: IncomingMessage): GrayContext | undefined;
  /** Response header to echo the stage in, or `undefined`. */
  readonly echoHeader: string | undefined;
}

/** The request path used for health checks and rules: Express's `originalUrl` when mounted, else `url`. */
export function requestUrl(req: IncomingMessage): string {
  return (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
}

/** Validates the options and builds the edge. Throws `GrayConfigError` with what to fix. */
export function createHttpEdge(options: GrayHttpOptions = {}): HttpEdge {
  const edge = createGrayEdge<IncomingMessage>(options, DEFAULT_HEALTH_PATHS);
  return {
    policy: edge.policy,
    echoHeader: edge.echoHeader,
    resolve: (req) => edge.decide(req, req.headers, recordCarrier, requestUrl(req)),
  };
}
