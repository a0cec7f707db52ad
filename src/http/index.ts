/**
 * graylane for HTTP edges: Connect / Express / `node:http` middleware and a Fastify plugin that
 * establish the gray context (edge trust and coloring rules applied), and `fetch` header helpers.
 * @packageDocumentation
 */
export { grayHttpMiddleware, grayHttpHandler } from './middleware.js';
export type { GrayHttpMiddleware } from './middleware.js';
export { grayFastifyPlugin } from './fastify.js';
export type { GrayFastifyPlugin, FastifyHookHost, FastifyRequestLike, FastifyReplyLike } from './fastify.js';
export { DEFAULT_HEALTH_PATHS } from './edge.js';
export type { GrayHttpOptions } from './edge.js';
export type { GrayTrustRule, GrayTokenTrust } from './trust.js';
export { withGrayHeaders, grayFetchInit } from './fetch.js';
export type { GrayHeadersInit, GrayHeadersCopy } from './fetch.js';
