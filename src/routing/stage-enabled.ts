/**
 * `stageEnabledIn`: lets an edge's coloring rules follow the registry's disabled stages, so when a
 * rollback guard disables a stage the edge stops coloring new requests into it.
 * @packageDocumentation
 */
import { GrayConfigError } from '../core/errors.js';
import type { GrayRegistry } from './types.js';
import { requireService } from './validate.js';

/**
 * Returns an `isStageEnabled` for `createColoringRules(rules, { isStageEnabled })`: a stage is
 * enabled while none of `services` has it in its registry rules' `disabledStages`. Reads the
 * registry's local snapshot (no network call per request).
 *
 * @param services - the services whose rules count, e.g. every service of the chain behind the edge.
 * @throws GrayConfigError when `services` is empty or a name is not a valid service name (see the registry's instances).
 * @example
 * const rules = createColoringRules(RULES, { isStageEnabled: stageEnabledIn(registry, ['orders', 'pricing']) });
 */
export function stageEnabledIn(registry: GrayRegistry, services: string | readonly string[]): (stage: string) => boolean {
  const list = typeof services === 'string' ? [services] : [...services];
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s === '')) {
    throw new GrayConfigError('graylane: stageEnabledIn(registry, services) needs at least one service name.');
  }
  for (const service of list) requireService(service, 'stageEnabledIn');
  return (stage) => {
    for (const service of list) if (registry.getService(service).rules.disabledStages.includes(stage)) return false;
    return true;
  };
}
