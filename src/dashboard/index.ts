/**
 * The `graylane dashboard` room: a local web view of the lanes — registry, per-stage metrics, rules,
 * rollouts, stage actions and a trace box — served on 127.0.0.1. Used by the CLI; not a subpath.
 * @packageDocumentation
 */
export { startDashboard } from './server.js';
export type { Dashboard, DashboardOptions, DashboardTrace } from './server.js';
export type { DashboardState, ServiceView, StageView, EdgeView, SourceView } from './state.js';
export { readRollouts } from './rollouts.js';
export type { DashboardRollout } from './rollouts.js';
export { parsePrometheusText } from './prom-text.js';
export type { PromSample, PromParseOptions } from './prom-text.js';
