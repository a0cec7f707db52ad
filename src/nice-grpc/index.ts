/**
 * graylane for nice-grpc: server middleware, client middleware, `forwardGrayMetadata` and the
 * `Metadata` carrier. Loads `nice-grpc-common` only (never `@grpc/grpc-js`).
 * @packageDocumentation
 */
export { grayServerMiddleware } from './server-middleware.js';
export type { GrayServerMiddlewareOptions, GrayCallContextExt } from './server-middleware.js';
export { grayClientMiddleware } from './client-middleware.js';
export type { GrayClientMiddlewareOptions } from './client-middleware.js';
export { forwardGrayMetadata } from './forward.js';
export type { NiceGrayForwardSource, NiceForwardGrayMetadataOptions } from './forward.js';
export { niceMetadataCarrier } from './carrier.js';
