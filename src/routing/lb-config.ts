/**
 * The `graylane` load-balancing config: what the resolver hands the balancer through the service
 * config (`loadBalancingConfig: [{ graylane: {...} }]`) — the service, its instances and rules.
 * @packageDocumentation
 */
import type { SubsetConfig } from './subset.js';
import type { GrayServiceRules } from './types.js';

/** Name of the load-balancing policy (and default resolver scheme). */
export const GRAY_POLICY_NAME = 'graylane';

/** One routable instance in the config. */
export interface LbInstance {
  readonly address: string;
  readonly stage: string;
  readonly weight: number;
}

/** JSON form of the config. */
export interface GrayLbConfigJson {
  /** Id of the routing registration (policy, default stage) in the routing table. */
  readonly routing: number;
  readonly service: string;
  readonly instances: readonly LbInstance[];
  readonly rules: Required<GrayServiceRules>;
  /** Bounded connections (option `subset` of `registerGrayRouting`); absent: connect to every instance. */
  readonly subset?: SubsetConfig;
}

function isInstance(value: unknown): value is LbInstance {
  const v = value as LbInstance;
  return typeof v === 'object' && v !== null && typeof v.address === 'string' && typeof v.stage === 'string' && typeof v.weight === 'number';
}

function isSubset(value: unknown): boolean {
  if (value === undefined) return true;
  const v = value as SubsetConfig;
  return typeof v === 'object' && v !== null && Number.isInteger(v.size) && v.size >= 1 && typeof v.clientId === 'string';
}

function isStageList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((s) => typeof s === 'string');
}

/** grpc-js `TypedLoadBalancingConfig` of the `graylane` policy. */
export class GrayLbConfig {
  constructor(readonly json: GrayLbConfigJson) {}

  getLoadBalancerName(): string {
    return GRAY_POLICY_NAME;
  }

  toJsonObject(): object {
    return { [GRAY_POLICY_NAME]: this.json };
  }

  /** Parses the JSON form; throws (grpc-js reports it as a service-config error) when malformed. */
  static createFromJson(obj: unknown): GrayLbConfig {
    const v = obj as Partial<GrayLbConfigJson>;
    const rules = v?.rules as Partial<Required<GrayServiceRules>> | undefined;
    if (
      typeof v !== 'object' || v === null ||
      typeof v.routing !== 'number' || typeof v.service !== 'string' ||
      !Array.isArray(v.instances) || !v.instances.every(isInstance) ||
      rules === undefined || (rules.fallback !== 'permissive' && rules.fallback !== 'strict') ||
      !isStageList(rules.strictStages) || !isStageList(rules.disabledStages) || !isSubset(v.subset)
    ) {
      throw new Error('graylane: malformed graylane load-balancing config; it is produced by the graylane resolver, use a graylane:///<service> target.');
    }
    return new GrayLbConfig(v as GrayLbConfigJson);
  }
}

/** Duck-typed check (the config may come from another copy of graylane). */
export function isGrayLbConfig(value: unknown): value is GrayLbConfig {
  const v = value as GrayLbConfig;
  return typeof v === 'object' && v !== null && typeof v.getLoadBalancerName === 'function' &&
    v.getLoadBalancerName() === GRAY_POLICY_NAME && typeof v.json === 'object';
}
