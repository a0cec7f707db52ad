/**
 * graylane/observe: make the gray release visible — log fields and a pino mixin, per-stage
 * prom-client metrics for grpc-js and HTTP, the hop trace, the rollback guard and per-stage
 * resources. `pino` and `prom-client` are optional peers: nothing here loads them until a metrics
 * factory is called (and pino is never loaded — pass `grayPinoMixin()` to your own logger).
 * @packageDocumentation
 */
export { grayLogFields, grayLogFieldsFn, grayPinoMixin } from './log-fields.js';
export type { GrayLogFieldsOptions, GrayLogFieldsFn } from './log-fields.js';
export { byStage } from './by-stage.js';
export type { ByStageOptions } from './by-stage.js';
export { createStageLabeler, OTHER_STAGE_LABEL, DEFAULT_LABEL_STAGES } from './stage-label.js';
export type { StageLabeler } from './stage-label.js';
export { DEFAULT_SECONDS_BUCKETS } from './prom-metrics.js';
export type { PromClientModule } from './prom-metrics.js';
export { grayServerMetricsInterceptor, GRPC_COUNTER_LABELS, GRPC_HISTOGRAM_LABELS } from './grpc-js-server-metrics.js';
export type { GrayGrpcMetricsOptions } from './grpc-js-server-metrics.js';
export { grayClientMetricsInterceptor } from './grpc-js-client-metrics.js';
export { grayHttpMetricsMiddleware } from './http-metrics.js';
export type { GrayHttpMetricsOptions, GrayHttpMiddleware } from './http-metrics.js';
export { HOP_TRACE_KEY, HOPS_TRAILER_KEY, MAX_HOPS, MAX_HOPS_LENGTH, readHopTrace, parseHops, encodeHops } from './hop-trace.js';
export type { GrayHop, HopTrace, HopTraceSource } from './hop-trace.js';
export { grayHopTraceServerInterceptor } from './grpc-js-hop-trace.js';
export type { GrayHopTraceServerOptions } from './grpc-js-hop-trace.js';
export { grayHopTraceClientInterceptor, withHopTrace } from './grpc-js-hop-trace-client.js';
export type { GrayHopTraceClientOptions } from './grpc-js-hop-trace-client.js';
export { createRollbackGuard, RollbackGuard } from './rollback-guard.js';
export type { RollbackGuardOptions, RollbackTripEvent, RollbackTarget, RollbackLogger } from './rollback-guard.js';
export { rollbackGuardInterceptor } from './grpc-js-rollback.js';
export type { RollbackGuardInterceptorOptions } from './grpc-js-rollback.js';
export { rollbackGuardHttpMiddleware } from './http-rollback.js';
export type { RollbackGuardHttpOptions } from './http-rollback.js';
