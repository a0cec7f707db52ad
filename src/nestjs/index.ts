/**
 * graylane for NestJS: Nest wiring over `graylane/grpc-js` and `graylane/http` — gRPC option helpers,
 * `GrayModule` (the HTTP edge on Express and Fastify, the policy as a provider), the `@GrayCtx()` /
 * `@ReleaseStage()` parameter decorators, and RxJS operators for pipelines built outside a request.
 * @packageDocumentation
 */
export { withGrayGrpcServer, withGrayGrpcClient } from './grpc-options.js';
export type { GrayNestGrpcOptions } from './grpc-options.js';
export { GrayModule, GRAY_POLICY } from './module.js';
export type { GrayModuleAsyncOptions } from './module.js';
export { GrayCtx, ReleaseStage } from './decorators.js';
export { withGrayContext, captureGrayContext } from './rxjs.js';
export type { GrayTagged } from './rxjs.js';
