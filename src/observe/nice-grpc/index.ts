/**
 * graylane/observe/nice-grpc: the observability feeds of nice-grpc services and clients — the hop
 * trace (`grayHopTraceServerMiddleware`, `grayHopTraceClientMiddleware`), per-stage prom-client
 * metrics (`grayServerMetricsMiddleware`, `grayClientMetricsMiddleware`) and the rollback guard's
 * client feed (`rollbackGuardClientMiddleware`) — and the composers that install them with the gray
 * context in the right order (`grayNiceServerStack`, `grayNiceClientStack`). Needs `nice-grpc-common` (and `prom-client` once
 * you build a metrics middleware).
 * @packageDocumentation
 */
export { grayNiceClientStack, grayNiceServerStack } from './stack.js';
export type { GrayNiceClientStackOptions, GrayNiceServerStackOptions, GrayNiceStackGuardOptions } from './stack.js';
export { grayHopTraceClientMiddleware, grayHopTraceServerMiddleware } from './hop-trace.js';
export type { GrayHopTraceClientMiddlewareOptions, GrayHopTraceServerMiddlewareOptions } from './hop-trace.js';
export { grayClientMetricsMiddleware, grayServerMetricsMiddleware } from './metrics.js';
export type { GrayGrpcMetricsOptions } from '../grpc-metrics.js';
export { rollbackGuardClientMiddleware } from './rollback-guard.js';
export type { RollbackGuardClientMiddlewareOptions } from './rollback-guard.js';
