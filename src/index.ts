/**
 * graylane core: release-stage vocabulary, policy, the per-request gray context and carrier-based
 * propagation. Imports no gRPC or HTTP framework.
 * @packageDocumentation
 */
export { RELEASE_STAGE_KEY, DEFAULT_STAGE, MAX_STAGE_LENGTH, parseStage } from './core/stage.js';
export type { GrayInvalidReason } from './core/stage.js';
export { GrayConfigError } from './core/errors.js';
export { HOP_TRACE_KEY, HOPS_TRAILER_KEY, CONTROL_KEYS } from './core/control-keys.js';
export { createGrayPolicy, defaultGrayPolicy } from './core/policy.js';
export type { GrayPolicy, GrayPolicyOptions, GrayInvalidEvent } from './core/policy.js';
export {
  getGrayContext,
  getReleaseStage,
  runWithGrayContext,
  runWithStage,
  bindGrayContext,
} from './core/context.js';
export type { GrayContext } from './core/context.js';
export { extractGrayContext, injectGrayContext, grayHeaders, recordCarrier } from './core/carrier.js';
export type { GrayGetter, GraySetter, InjectOptions, HeaderRecord } from './core/carrier.js';
export { createColoringRules } from './core/rules/coloring-rules.js';
export type { ColoringRules, ColoringRulesOptions } from './core/rules/coloring-rules.js';
export type {
  ColoringRule,
  ColoringCondition,
  ColoringHeaderCondition,
  ColoringCookieCondition,
  ColoringQueryCondition,
  ColoringPathCondition,
  ColoringValueTest,
  ColoringRollout,
  ColoringInput,
} from './core/rules/types.js';
export { explainGrayEdge } from './core/rules/explain.js';
export type { ColoringExplanation, ColoringRuleTrace, ColoringRuleOutcome, GrayEdgeExplanation, GrayEdgeDecision, GrayEdgeRejection, GrayEdgeRequest, GrayEdgeExplainOptions } from './core/rules/explain.js';
export { rolloutBucket, ROLLOUT_BUCKETS } from './core/rules/hash.js';
export type { RolloutPercentLookup } from './core/rules/compile.js';
export { normalizePath } from './core/path.js';
export { coloringInput } from './core/rules/input.js';
export { coloringResolver } from './core/rules/grpc-resolver.js';
export { byStage } from './core/by-stage.js';
export type { ByStageOptions } from './core/by-stage.js';
