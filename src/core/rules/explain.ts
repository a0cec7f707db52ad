/**
 * Explaining one edge decision: which coloring rule colored a request, or why it stayed on the
 * default stage (untrusted, invalid, stage disabled, outside a rollout's share, no rule matched).
 * Built on the edge's own decision path and the rule engine's own evaluation, so an explanation
 * never disagrees with what the edge does.
 * @packageDocumentation
 */
import { recordCarrier, type HeaderRecord } from '../carrier.js';
import { createGrayEdge, type GrayEdgeOptions } from '../edge.js';
import type { GrayInvalidEvent, GrayPolicy } from '../policy.js';
import type { GrayInvalidReason } from '../stage.js';
import { createColoringRules, type ColoringRules } from './coloring-rules.js';
import type { ColoringInput } from './types.js';

/** How one rule fared: `matched`, `no-match` (a condition failed), `rollout-out` (outside the share), `stage-disabled`. */
export type ColoringRuleOutcome = 'matched' | 'no-match' | 'rollout-out' | 'stage-disabled';

/** One rule as `explain` saw it. */
export interface ColoringRuleTrace {
  /** Position of the rule in the list (0-based). */
  readonly index: number;
  /** The rule's `name`, when it has one. */
  readonly name?: string;
  /** The stage the rule yields. */
  readonly stage: string;
  /** How the rule fared. */
  readonly outcome: ColoringRuleOutcome;
  /** Why it did not color the request, in words (absent when `matched`); request values quoted, cut to 64 characters. */
  readonly why?: string;
  /**
   * The rollout's numbers, when the rule has a rollout and its conditions held: the registry
   * rollout's name (`undefined` for a fixed `percent`), whether the key was present, its bucket
   * (0 … 9,999; `undefined` without a key) and the threshold (share × 100) it must be below.
   */
  readonly rollout?: { readonly rollout: string | undefined; readonly keyPresent: boolean; readonly bucket: number | undefined; readonly threshold: number };
}

/** What `ColoringRules.explain` returns. */
export interface ColoringExplanation {
  /** The stage `resolve` returns for the same input (`undefined`: no rule colored it). */
  readonly stage: string | undefined;
  /** The rule that colored the request, or `undefined`. */
  readonly rule: ColoringRuleTrace | undefined;
  /** Every rule looked at, in order, up to and including the matching one. */
  readonly rules: readonly ColoringRuleTrace[];
  /** The rule set's version (see `ColoringRules.version`). */
  readonly version: number;
}

/**
 * The edge's decision in one word: `health` (a health path: no context), `trusted` (the request's
 * own stage was believed), `colored` (a rule colored it), or why it kept the default stage:
 * `untrusted` (a stage sent without trust), `invalid` (the policy rejected the stage),
 * `stage-disabled` (a rule matched but its stage is disabled), `rollout-share` (outside a rollout's
 * share), `rule-miss` (no rule matched), `no-rules` (the edge has none).
 */
export type GrayEdgeDecision = 'health' | 'trusted' | 'colored' | 'untrusted' | 'invalid' | 'stage-disabled' | 'rollout-share' | 'rule-miss' | 'no-rules';

/** A value the policy rejected while deciding (the stage key or an extra key). */
export interface GrayEdgeRejection {
  /** The key, or `undefined` when the edge was given a built `policy` (only reasons are known then). */
  readonly key: string | undefined;
  /** Why it was rejected (e.g. `'untrusted'`, `'bad-characters'`, `'not-allowed'`). */
  readonly reason: GrayInvalidReason;
}

/** What {@link explainGrayEdge} returns. */
export interface GrayEdgeExplanation {
  /** The stage the edge decided (`undefined` for a health path). */
  readonly stage: string | undefined;
  /** `true` when the stage came from the request or a rule, `false` for the default stage. */
  readonly explicit: boolean;
  /** The decision in one word. */
  readonly decision: GrayEdgeDecision;
  /** The decision in one sentence. */
  readonly reason: string;
  /** The stage value the request sent (key and value cut to 64 characters), if any. */
  readonly sent: { readonly key: string; readonly value: string } | undefined;
  /** Values the policy rejected while deciding, in order. */
  readonly rejected: readonly GrayEdgeRejection[];
  /** The coloring rules' explanation, when the edge consulted its rules. */
  readonly coloring: ColoringExplanation | undefined;
  /** The keys the edge would forward downstream, as `[key, value]` pairs (never the trust-token header). */
  readonly forwarded: ReadonlyArray<readonly [string, string]>;
}

/** The request {@link explainGrayEdge} decides: its headers and, for path and query rules, its URL. */
export interface GrayEdgeRequest {
  /** Request headers (names case-insensitive), e.g. `{ 'x-user-id': 'u-42' }`. */
  readonly headers: HeaderRecord;
  /** Request path and query, e.g. `'/api/orders?lane=canary'`. Default `'/'`. */
  readonly url?: string;
}

/** Options of {@link explainGrayEdge}: the edge's options (`trust` predicates receive the {@link GrayEdgeRequest}). */
export type GrayEdgeExplainOptions = GrayEdgeOptions<GrayEdgeRequest>;

const clip = (value: string): string => (value.length > 64 ? `${value.slice(0, 64)}…` : value);

function isRuleSet(value: unknown): value is ColoringRules {
  return typeof value === 'object' && value !== null && typeof (value as ColoringRules).resolve === 'function' && typeof (value as ColoringRules).setRules === 'function';
}

/** The rule set as the edge sees it, recording the explanation of every `resolve` it answers. */
function recording(rules: () => ColoringRules, seen: (e: ReturnType<ColoringRules['explain']>) => void): ColoringRules {
  const explainOf = (input: ColoringInput): ReturnType<ColoringRules['explain']> => {
    const set = rules();
    if (typeof set.explain === 'function') return set.explain(input);
    const stage = set.resolve(input); // A hand-written rule set without explain: the stage only.
    return { stage, rule: undefined, rules: [], version: set.version };
  };
  return {
    resolve(input) {
      const e = explainOf(input);
      seen(e);
      return e.stage;
    },
    explain: explainOf,
    setRules: (next) => rules().setRules(next),
    get rules() {
      return rules().rules;
    },
    get version() {
      return rules().version;
    },
  };
}

function sentStage(headers: HeaderRecord, policy: GrayPolicy): { key: string; value: string } | undefined {
  for (const key of [policy.stageKey, ...policy.aliases]) {
    const value = recordCarrier.get(headers, key);
    if (value !== undefined) return { key, value: clip(value) };
  }
  return undefined;
}

function ruleLabel(r: { readonly index: number; readonly name?: string }): string {
  return `rule #${r.index}${r.name === undefined ? '' : ` '${r.name}'`}`;
}

/**
 * Decides one request exactly as an edge built with `options` would (`trustIncoming`, `trust`,
 * `rules`, `healthPaths`, policy options) and says why: which rule colored it, or why it kept the
 * default stage — a stage sent without trust, a stage the policy rejected (with the reason), a
 * rule whose stage is disabled, a rollout bucket outside the share, or no rule matching. The edge's
 * own decision code runs (trust, extraction, coloring), with the rules' `explain` answering for
 * `resolve`. A diagnostic (it builds the edge on every call), not for the request path; options
 * are validated like the edge's, so bad options throw `GrayConfigError`.
 *
 * @param options - the edge's options. `healthPaths` default: none. With a built `policy`, the
 *   rejected values are known by reason only (pass the policy options instead to get their keys).
 * @example
 * const why = explainGrayEdge({ headers: { 'x-user-id': 'u-42' } }, { rules: [{ name: '20%', stage: 'canary', rollout: { percent: 20, header: 'x-user-id' } }] });
 * why.decision; // 'colored' or 'rollout-share'
 */
export function explainGrayEdge(request: GrayEdgeRequest, options: GrayEdgeExplainOptions = {}): GrayEdgeExplanation {
  const events: GrayEdgeRejection[] = [];
  const userHook = options.onInvalid;
  let coloring: ReturnType<ColoringRules['explain']> | undefined;
  let compiled: ColoringRules | undefined;
  const given = options.rules;
  const edge = createGrayEdge<GrayEdgeRequest>({
    ...options,
    onInvalid: (e: GrayInvalidEvent) => {
      events.push({ key: e.key, reason: e.reason });
      if (typeof userHook === 'function') userHook(e);
    },
    ...(given === undefined ? {} : { rules: recording(() => compiled!, (e) => (coloring = e)) }),
  }, []);
  const policy = edge.policy;
  if (given !== undefined) compiled = isRuleSet(given) ? given : createColoringRules(given, { policy });
  const before = options.policy === undefined ? undefined : { ...policy.rejected };
  const ctx = edge.decide(request, request.headers, recordCarrier, request.url ?? '/');
  if (before !== undefined) {
    for (const [reason, n] of Object.entries(policy.rejected) as Array<[GrayInvalidReason, number]>) {
      for (let i = before[reason]; i < n; i++) events.push({ key: undefined, reason });
    }
  }
  const sent = sentStage(request.headers, policy);
  const base = { sent, rejected: Object.freeze(events), coloring };
  if (ctx === undefined) return Object.freeze({ ...base, stage: undefined, explicit: false, decision: 'health', reason: 'a health path: never colored, no gray context', forwarded: [] });
  const forwarded = Object.freeze(Object.keys(ctx.entries).map((k) => Object.freeze([k, ctx.entries[k]!] as const)));
  const done = (decision: GrayEdgeDecision, reason: string): GrayEdgeExplanation => Object.freeze({ ...base, stage: ctx.stage, explicit: ctx.explicit, decision, reason, forwarded });
  const stageEvent = events.find((e) => e.key === undefined ? e.reason === 'untrusted' || sent !== undefined : e.key === policy.stageKey || policy.aliases.includes(e.key));
  const stays = `stays ${ctx.stage}`;
  if (ctx.explicit && coloring === undefined) return done('trusted', `the request's ${sent?.key ?? policy.stageKey} '${ctx.stage}' is trusted (trustIncoming or a valid trust token)`);
  if (ctx.explicit && coloring?.rule !== undefined) return done('colored', `${ruleLabel(coloring.rule)} colored it ${ctx.stage}`);
  if (stageEvent?.reason === 'untrusted') return done('untrusted', `${sent?.key ?? 'the stage'}: ${JSON.stringify(sent?.value ?? '')} was sent without trust (no valid trust token) and ignored; ${coloring === undefined ? 'no coloring rules' : 'no rule colored it'}: ${stays}`);
  if (stageEvent !== undefined) return done('invalid', `${sent?.key ?? 'the stage'}: ${JSON.stringify(sent?.value ?? '')} was rejected by the policy (${stageEvent.reason}); ${stays}`);
  if (coloring === undefined) return done('no-rules', `no stage sent and no coloring rules: ${stays}`);
  if (coloring.rule !== undefined) return done('invalid', `${ruleLabel(coloring.rule)} matched but the policy refused its stage '${coloring.rule.stage}': ${stays}`);
  const disabled = coloring.rules.find((r) => r.outcome === 'stage-disabled');
  if (disabled !== undefined) return done('stage-disabled', `${ruleLabel(disabled)} matched but stage '${disabled.stage}' is disabled: ${stays}`);
  const out = coloring.rules.find((r) => r.outcome === 'rollout-out');
  if (out !== undefined) return done('rollout-share', `${ruleLabel(out)}: ${out.why ?? 'outside the share'}: ${stays}`);
  return done('rule-miss', `no rule matched (${coloring.rules.length} looked at): ${stays}`);
}
