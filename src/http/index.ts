/**
 * graylane for HTTP edges: Connect / Express / `node:http` middleware, a Fastify plugin, the
 * Fetch-API edge (a `(Request) => Response` wrapper and a Hono middleware) that establish the gray
 * context (edge trust and coloring rules applied), and `fetch` header helpers. Loads no peer.
 * @packageDocumentation
 */
export { grayHttpMiddleware, grayHttpHandler } from './middleware.js';
export type { GrayHttpMiddleware } from './middleware.js';
export { grayFastifyPlugin } from './fastify.js';
export type { GrayFastifyPlugin, FastifyHookHost, FastifyRequestLike, FastifyReplyLike } from './fastify.js';
export { grayFetchHandler } from './fetch-edge.js';
export type { GrayFetchOptions } from './fetch-edge.js';
export { grayHonoMiddleware } from './hono.js';
export type { GrayHonoMiddleware, HonoContextLike } from './hono.js';
export { DEFAULT_HEALTH_PATHS } from './edge.js';
export type { GrayHttpOptions } from './edge.js';
export type { GrayTrustRule, GrayTokenTrust } from './trust.js';
export { withGrayHeaders, grayFetchInit } from './fetch.js';
export type { GrayHeadersInit, GrayHeadersCopy } from './fetch.js';
