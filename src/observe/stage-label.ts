/**
 * Bounded `release_stage` label values: allowed stages pass through, anything else becomes `other`.
 * @packageDocumentation
 */
import { GrayConfigError } from '../core/errors.js';
import { parseStage } from '../core/stage.js';
import type { GrayPolicy } from '../core/policy.js';

/** Label value used for every stage outside the allowed set: `'other'`. */
export const OTHER_STAGE_LABEL = 'other';

/** Stages labelled by default when neither `stages` nor a policy allowlist is given: `['stable', 'canary']`. */
export const DEFAULT_LABEL_STAGES: readonly string[] = Object.freeze(['stable', 'canary']);

/** Maps a stage to a label value from a fixed set. Never throws. */
export type StageLabeler = (stage: string | undefined) => string;

/**
 * Builds a {@link StageLabeler}. The allowed stages are `stages`, else the policy's allowlist, else
 * {@link DEFAULT_LABEL_STAGES}. `undefined` maps to the policy's default stage (default `'stable'`).
 *
 * @throws GrayConfigError when a listed stage is not a valid stage or the list is empty.
 */
export function createStageLabeler(stages?: readonly string[], policy?: GrayPolicy): StageLabeler {
  const list = stages ?? (policy?.stages !== undefined ? [...policy.stages] : DEFAULT_LABEL_STAGES);
  if (!Array.isArray(list) || list.length === 0) {
    throw new GrayConfigError('graylane/observe: stages must be a non-empty array of stages, e.g. [\'stable\', \'canary\'].');
  }
  const allowed = new Set<string>();
  for (const s of list) {
    const parsed = typeof s === 'string' ? parseStage(s) : undefined;
    if (parsed === undefined || !parsed.ok || parsed.stage !== s) {
      throw new GrayConfigError(`graylane/observe: stages entry ${JSON.stringify(s)} is not a valid stage (lower-case ^[a-z0-9][a-z0-9._-]{0,63}$).`);
    }
    allowed.add(s);
  }
  const fallback = policy?.defaultStage ?? 'stable';
  const defaultLabel = allowed.has(fallback) ? fallback : OTHER_STAGE_LABEL;
  return (stage) => {
    if (stage === undefined) return defaultLabel;
    return allowed.has(stage) ? stage : OTHER_STAGE_LABEL;
  };
}
