/**
 * graylane/observe/http: the observability feeds of Connect / Express / `node:http` servers —
 * per-stage prom-client metrics and the rollback guard's feed. Needs no peer at import
 * (`prom-client` once you build the metrics middleware). Mount both after `grayHttpMiddleware()`
 * from `graylane/http`.
 * @packageDocumentation
 */
export { grayHttpMetricsMiddleware } from './metrics.js';
export type { GrayHttpMetricsOptions } from './metrics.js';
export type { GrayHttpMiddleware } from '../../http/middleware.js';
export { rollbackGuardHttpMiddleware } from './rollback-guard.js';
export type { RollbackGuardHttpOptions } from './rollback-guard.js';
