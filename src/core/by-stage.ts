/**
 * Per-stage resources: pick the pool, client or table for the current request's stage. Imports no
 * framework; the stage is read from the gray context.
 * @packageDocumentation
 */
import { getGrayContext } from './context.js';
import { GrayConfigError } from './errors.js';
import type { GrayPolicy } from './policy.js';

/** Options of {@link byStage}. */
export interface ByStageOptions {
  /** Stage whose resource serves stages without an entry (and calls outside a request). Default: the policy's default stage, `'stable'`. */
  readonly defaultStage?: string;
  /** Policy naming the default stage. Default: none (`'stable'`). */
  readonly policy?: GrayPolicy;
}

/**
 * Returns a function giving the resource for the current stage, falling back to the default
 * stage's resource — so a canary never silently writes through the stable pool by accident, and an
 * unknown stage never gets a resource of its own.
 *
 * @example
 * const db = byStage({ stable: stablePool, canary: canaryPool });
 * await db().query('select 1');
 * @throws GrayConfigError when `resources` is not an object or has no entry for the default stage.
 */
export function byStage<T>(resources: Readonly<Record<string, T>>, options: ByStageOptions = {}): () => T {
  if (typeof resources !== 'object' || resources === null) {
    throw new GrayConfigError('graylane: byStage needs an object of resources keyed by stage.');
  }
  const defaultStage = options.defaultStage ?? options.policy?.defaultStage ?? 'stable';
  if (!Object.hasOwn(resources, defaultStage)) {
    throw new GrayConfigError(`graylane: byStage has no resource for the default stage '${defaultStage}'; add one or set defaultStage.`);
  }
  const table = new Map<string, T>(Object.entries(resources));
  const fallback = table.get(defaultStage) as T;
  return () => {
    const stage = getGrayContext()?.stage;
    if (stage === undefined) return fallback;
    const hit = table.get(stage);
    return hit === undefined && !table.has(stage) ? fallback : (hit as T);
  };
}
