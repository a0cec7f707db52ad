/**
 * graylane/rollout: progressive delivery in-process — a stepped canary ramp whose share lives in
 * the registry (every edge colors the same share), analysed at every step by the rollback guard's
 * window, advanced by one elected controller, aborted on a breach. Needs no peer beyond the
 * registry's (etcd3 for an etcd registry, loaded by it).
 * @packageDocumentation
 */
export { createRollout, GrayRollout } from './controller.js';
export type { RolloutOptions, RolloutAnalysisOptions, RolloutCheck, RolloutStatus, RolloutWindow, RolloutAbortEvent } from './options.js';
export { formatRolloutStatus } from './format.js';
export { rolloutPercentIn } from '../routing/rollout-registry.js';
export type { GrayRolloutRegistry, GrayRolloutRecord, GrayRolloutState, GrayRolloutDecision, GrayRolloutAction, GrayRolloutWindowReport } from '../routing/index.js';
