/**
 * `createStaticRegistry`: a fixed, in-memory list of instances, for tests and small setups.
 * @packageDocumentation
 */
import { GrayConfigError } from '../core/errors.js';
import { RegistryStore } from './registry-store.js';
import type { GrayInstance, GrayRegistry, GrayServiceRules } from './types.js';
import { normalizeInstance, normalizeRuleMap, requireDistinctAddresses, requireRegistryStage, requireService, withStageDisabled } from './validate.js';

/** A registry whose content lives in memory; {@link StaticGrayRegistry.setInstances} replaces it. */
export interface StaticGrayRegistry extends GrayRegistry {
  /** Replaces every instance (validated; throws `GrayConfigError` on bad input). Routers follow at once. */
  setInstances(instances: readonly GrayInstance[]): void;
  /** Replaces the rules of one service (`undefined`: back to the defaults). */
  setRules(service: string, rules: GrayServiceRules | undefined): void;
}

/**
 * Creates an in-memory registry.
 *
 * @param instances - `{ service, address, stage, weight?, meta? }` entries; `weight` defaults to 1.
 * @param rules - per-service rules, e.g. `{ 'shop.Price': { fallback: 'strict' } }`. Default: none
 *   (permissive fallback everywhere).
 * @throws GrayConfigError when an instance or rule is malformed (the message names it).
 */
export function createStaticRegistry(
  instances: readonly GrayInstance[] = [],
  rules: Readonly<Record<string, GrayServiceRules>> = {},
): StaticGrayRegistry {
  const store = new RegistryStore();
  const validate = (list: readonly GrayInstance[]): GrayInstance[] => {
    if (!Array.isArray(list)) throw new GrayConfigError('graylane: createStaticRegistry: instances must be an array.');
    const out = list.map((inst, i) => normalizeInstance(inst, `instances[${i}]`));
    requireDistinctAddresses(out, 'instances');
    return out;
  };
  store.replaceAll(validate(instances), normalizeRuleMap(rules, 'rules'));
  let closed = false;
  return {
    getService: (service) => store.getService(service),
    watchService: (service, listener) => store.watchService(service, listener),
    listServices: () => store.serviceNames(),
    get status() {
      return store.status;
    },
    setInstances(list) {
      store.replaceAll(validate(list));
    },
    setRules(service, next) {
      requireService(service, 'setRules');
      store.setRules(service, next === undefined ? undefined : normalizeRuleMap({ [service]: next }, 'rules').get(service));
    },
    async setStageDisabled(service, stage, disabled) {
      requireService(service, 'setStageDisabled');
      requireRegistryStage(stage, 'setStageDisabled');
      store.setRules(service, withStageDisabled(store.getRules(service), stage, disabled));
    },
    async close() {
      if (closed) return;
      closed = true;
      store.setStatus('closed');
    },
  };
}

