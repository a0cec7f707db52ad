/**
 * graylane for Connect-ES 2.x (`@connectrpc/connect`): a server interceptor that decides and
 * establishes the gray context for all four call types, a client interceptor for any transport,
 * `forwardGrayMetadata` for Connect `Headers`, and the call's context from the handler context.
 * Imports nothing from Connect at run time (types only).
 * @packageDocumentation
 */
export { grayServerInterceptor, CONNECT_HEALTH_PATHS } from './server-interceptor.js';
export type { GrayConnectServerOptions, ConnectRequest } from './server-interceptor.js';
export { grayClientInterceptor } from './client-interceptor.js';
export type { GrayConnectClientOptions } from './client-interceptor.js';
export { forwardGrayMetadata } from './forward.js';
export type { ConnectGrayForwardSource, ConnectForwardGrayMetadataOptions } from './forward.js';
export { getCallGrayContext, GRAY_CONTEXT_KEY } from './call-context.js';
export { headersCarrier } from '../core/headers-carrier.js';
export type { GrayTokenTrust } from '../core/edge-trust.js';
