/**
 * graylane/openfeature: the request's release stage (and configured carried keys) in OpenFeature
 * evaluation contexts — a hook for the server SDK (`@openfeature/server-sdk`, an optional peer used
 * for types only) and a function returning the attributes — so feature flags replace `if canary`.
 * @packageDocumentation
 */
export { grayOpenFeatureHook } from './hook.js';
export type { GrayOpenFeatureHookOptions } from './hook.js';
export { grayEvaluationContext } from './evaluation-context.js';
export type { GrayEvaluationContextOptions } from './evaluation-context.js';
