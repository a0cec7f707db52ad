/**
 * The per-call decision: read the call's stage from its metadata (through the core policy), pick a
 * ready instance of that stage by weighted round-robin, or apply the fallback rules.
 * @packageDocumentation
 */
import type { Metadata } from '@grpc/grpc-js';
import type { GrayGetter } from '../core/carrier.js';
import { callStage } from '../core/call-stage.js';
import type { GrayPolicy } from '../core/policy.js';
import type { GrayServiceRules } from './types.js';

/** A stage's instances as the picker sees them. */
export interface StagePool<S> {
  /** Ready subchannels with their weights. */
  readonly ready: readonly { readonly subchannel: S; readonly weight: number }[];
  /** `true` when some instance is still connecting for the first time (calls then wait). */
  readonly pending: boolean;
}

/** What the picker decided for one stage. */
export type StageDecision<S> =
  | { readonly kind: 'pick'; readonly ring: WeightedRing<S> }
  | { readonly kind: 'queue' }
  | { readonly kind: 'fail'; readonly message: string };

/** Smooth weighted round-robin over a fixed list (plain rotation when all weights are equal). */
export class WeightedRing<S> {
  private readonly items: readonly S[];
  private readonly weights: readonly number[] | undefined;
  private readonly current: number[];
  private readonly total: number;
  private next = 0;

  constructor(entries: readonly { readonly subchannel: S; readonly weight: number }[]) {
    this.items = entries.map((e) => e.subchannel);
    const equal = entries.every((e) => e.weight === entries[0]!.weight);
    this.weights = equal ? undefined : entries.map((e) => e.weight);
    this.current = entries.map(() => 0);
    this.total = entries.reduce((sum, e) => sum + e.weight, 0);
    // Start at a random place so many clients do not all hit the first instance first.
    this.next = Math.floor(Math.random() * Math.max(1, this.items.length));
  }

  pick(): S {
    const weights = this.weights;
    if (weights === undefined) {
      const item = this.items[this.next]!;
      this.next = (this.next + 1) % this.items.length;
      return item;
    }
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      this.current[i]! += weights[i]!;
      if (this.current[i]! > this.current[best]!) best = i;
    }
    this.current[best]! -= this.total;
    return this.items[best]!;
  }
}

/** Everything a picker needs besides the pools. */
export interface PickContext {
  readonly service: string;
  readonly policy: GrayPolicy;
  readonly rules: Required<GrayServiceRules>;
}

const DECISION_CACHE_LIMIT = 64;

/** Reads grpc-js metadata for {@link callStage}; a binary value under a stage key reads as junk (the default stage). */
const pickMetadata: GrayGetter<Metadata> = {
  get(md, key) {
    const value = md.get(key)[0];
    return value === undefined || typeof value === 'string' ? value : '';
  },
};

/** Decides per stage (memoised per picker: the pools of a picker never change). */
export class StageRouter<S> {
  private readonly rings = new Map<string, WeightedRing<S>>();
  private readonly decisions = new Map<string, StageDecision<S>>();

  constructor(
    private readonly ctx: PickContext,
    private readonly pools: ReadonlyMap<string, StagePool<S>>,
  ) {}

  /**
   * The stage of a call from its final metadata (client-interceptor keys included): the core's
   * `callStage` rule — the first of stage key and aliases present, accepted by the policy, else the
   * default stage — the same rule the metrics and rollback-guard feeds record by.
   */
  stageOf(metadata: Metadata | undefined): string {
    return callStage(metadata, pickMetadata, this.ctx.policy);
  }

  decide(stage: string): StageDecision<S> {
    let decision = this.decisions.get(stage);
    if (decision === undefined) {
      decision = this.compute(stage);
      if (this.decisions.size < DECISION_CACHE_LIMIT) this.decisions.set(stage, decision);
    }
    return decision;
  }

  private usable(stage: string): StagePool<S> | undefined {
    const { rules, policy } = this.ctx;
    if (stage !== policy.defaultStage && rules.disabledStages.includes(stage)) return undefined;
    return this.pools.get(stage);
  }

  private fromPool(stage: string): StageDecision<S> | undefined {
    const pool = this.usable(stage);
    if (pool === undefined) return undefined;
    if (pool.ready.length > 0) {
      let ring = this.rings.get(stage);
      if (ring === undefined) this.rings.set(stage, (ring = new WeightedRing(pool.ready)));
      return { kind: 'pick', ring };
    }
    return pool.pending ? { kind: 'queue' } : undefined;
  }

  private compute(stage: string): StageDecision<S> {
    const { service, rules, policy } = this.ctx;
    const own = this.fromPool(stage);
    if (own !== undefined) return own;
    const fallback = policy.defaultStage;
    if (stage === fallback) {
      return { kind: 'fail', message: `graylane: no ready instance of stage '${stage}' for service '${service}'` };
    }
    if (rules.fallback === 'strict' || rules.strictStages.includes(stage)) {
      const why = rules.disabledStages.includes(stage) ? 'disabled, strict fallback' : 'strict fallback';
      return { kind: 'fail', message: `graylane: no ready instance of stage '${stage}' for service '${service}' (${why})` };
    }
    return this.fromPool(fallback) ?? {
      kind: 'fail',
      message: `graylane: no ready instance of stage '${stage}' or fallback stage '${fallback}' for service '${service}'`,
    };
  }
}
