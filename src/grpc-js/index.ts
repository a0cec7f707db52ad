/**
 * graylane for `@grpc/grpc-js`: server interceptor, client interceptor, `forwardGrayMetadata`,
 * `getCallGrayContext` and the `Metadata` carrier.
 * @packageDocumentation
 */
export { grayServerInterceptor } from './server-interceptor.js';
export type { GrayServerInterceptorOptions } from './server-interceptor.js';
export { grayClientInterceptor } from './client-interceptor.js';
export type { GrayClientInterceptorOptions } from './client-interceptor.js';
export { forwardGrayMetadata } from './forward.js';
export { getCallGrayContext } from './call-context.js';
export type { GrayForwardSource, ForwardGrayMetadataOptions } from './forward.js';
export { grpcMetadataCarrier } from './carrier.js';
