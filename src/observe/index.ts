/**
 * graylane/observe: make the gray release visible, framework-neutral — log fields and a pino mixin,
 * stage labels, the hop trace's keys and reader (`readHopTrace`), and the rollback guard. Needs no
 * peer: `pino` is never loaded (pass `grayPinoMixin()` to your own logger). The feeds of each
 * framework are beside it: `graylane/observe/grpc-js`, `graylane/observe/nice-grpc`,
 * `graylane/observe/http`.
 * @packageDocumentation
 */
export { grayLogFields, grayLogFieldsFn, grayPinoMixin } from './log-fields.js';
export type { GrayLogFieldsOptions, GrayLogFieldsFn } from './log-fields.js';
export { createStageLabeler, OTHER_STAGE_LABEL, DEFAULT_LABEL_STAGES } from './stage-label.js';
export type { StageLabeler } from './stage-label.js';
export { DEFAULT_SECONDS_BUCKETS } from './prom-metrics.js';
export type { PromClientModule } from './prom-metrics.js';
export { GRPC_COUNTER_LABELS, GRPC_HISTOGRAM_LABELS } from './grpc-metrics.js';
export type { GrayGrpcMetricsOptions } from './grpc-metrics.js';
export { HOP_TRACE_KEY, HOPS_TRAILER_KEY, readHopTrace } from './hop-trace.js';
export type { GrayHop, HopTrace, HopTraceSource } from './hop-trace.js';
export { createRollbackGuard, RollbackGuard } from './rollback-guard.js';
export type { RollbackGuardOptions, RollbackTripEvent, RollbackTarget, RollbackLogger } from './rollback-guard.js';
export { byStage } from './deprecated.js';
export type { ByStageOptions } from './deprecated.js';
