/**
 * Names `graylane/observe` keeps for 0.x users although they moved: each is the moved export itself.
 * @packageDocumentation
 */
import { byStage as coreByStage, type ByStageOptions as CoreByStageOptions } from '../core/by-stage.js';

/**
 * Options of the deprecated `graylane/observe` re-export of {@link byStage}.
 * @deprecated Import `ByStageOptions` from `graylane`; this alias goes in 1.0.
 */
export type ByStageOptions = CoreByStageOptions;

/**
 * Per-stage resources — the same function as `byStage` from `graylane` (it is not observability).
 * @deprecated Import `byStage` from `graylane`; this re-export goes in 1.0.
 */
export const byStage: typeof coreByStage = coreByStage;
