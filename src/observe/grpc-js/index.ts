/**
 * graylane/observe/grpc-js: the observability feeds of grpc-js services and clients — per-stage
 * prom-client metrics, the hop trace and the rollback guard's client feed — and the composers that
 * install them with the gray context as one fused interceptor per side (`grayGrpcServerStack`,
 * `grayGrpcClientStack`). Needs `@grpc/grpc-js`
 * (and `prom-client` once you build a metrics interceptor). The framework-neutral pieces they feed —
 * `readHopTrace`, `createRollbackGuard`, log fields — are in `graylane/observe`.
 * @packageDocumentation
 */
export { grayGrpcClientStack, grayGrpcServerStack } from './stack.js';
export type { GrayGrpcClientStackOptions, GrayGrpcServerStackOptions, GrayStackGuardOptions } from './stack.js';
export { grayServerMetricsInterceptor } from './server-metrics.js';
export { grayClientMetricsInterceptor } from './client-metrics.js';
export type { GrayGrpcMetricsOptions } from '../grpc-metrics.js';
export { grayHopTraceServerInterceptor } from './hop-trace-server.js';
export type { GrayHopTraceServerOptions } from './hop-trace-server.js';
export { grayHopTraceClientInterceptor, withHopTrace } from './hop-trace-client.js';
export type { GrayHopTraceClientOptions } from './hop-trace-client.js';
export { rollbackGuardClientInterceptor, rollbackGuardInterceptor } from './rollback-guard.js';
export type { RollbackGuardClientInterceptorOptions, RollbackGuardInterceptorOptions } from './rollback-guard.js';
