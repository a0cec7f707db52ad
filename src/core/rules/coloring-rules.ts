/**
 * The coloring rule engine: an ordered, hot-swappable set of data rules that picks a stage for a
 * request at the edge (HTTP or gRPC). First match wins; no match leaves the default stage.
 * @packageDocumentation
 */
import { GrayConfigError } from '../errors.js';
import type { GrayPolicy } from '../policy.js';
import { compileRule, type CompiledRule, type RolloutPercentLookup, type RuleNote } from './compile.js';
import type { ColoringExplanation, ColoringRuleTrace } from './explain.js';
import type { ColoringInput, ColoringRule } from './types.js';

/** Options of {@link createColoringRules}. */
export interface ColoringRulesOptions {
  /**
   * Policy whose `stages` allowlist every rule's stage must be in. Default: none (any valid stage).
   */
  readonly policy?: GrayPolicy;
  /**
   * Asked on every match whether the rule's stage may receive traffic now (e.g. a rollback guard).
   * When it returns `false` (or throws) the rule is skipped and evaluation goes on with the next
   * rule. Default: every stage is enabled.
   */
  readonly isStageEnabled?: (stage: string) => boolean;
  /**
   * Reads the current share, from 0 to 100, of a named rollout, for rules written
   * `rollout: { rollout: 'pricing-v2', header: 'x-user-id' }` (e.g. `rolloutPercentIn(registry)` from
   * `graylane/routing`, which reads the registry's local copy). Asked on every request such a rule
   * sees, so it must be cheap; `undefined`, a value outside 0 … 100, or a throw counts as 0 % (the
   * rule matches nobody). Required when a rule names a rollout. Default: none.
   */
  readonly rolloutPercent?: RolloutPercentLookup;
}

/** A compiled, hot-swappable rule set built by {@link createColoringRules}. */
export interface ColoringRules {
  /** The stage of the first rule that matches `input` (and whose stage is enabled), or `undefined`. Never throws. */
  resolve(input: ColoringInput): string | undefined;
  /**
   * What `resolve` decides for `input`, and why: the matching rule (name, index, stage) or, rule by
   * rule, why none matched — the first condition that failed, the rollout's bucket against its
   * threshold, or a stage switched off by `isStageEnabled`. Runs the same evaluation as `resolve`
   * (one implementation, with a note taken), so the two never disagree. For diagnostics (the
   * `graylane explain` command); never throws.
   */
  explain(input: ColoringInput): ColoringExplanation;
  /**
   * Validates `rules` and, only if every rule is valid, replaces the current set; the next
   * `resolve` uses it. Throws {@link GrayConfigError} (keeping the old set) otherwise.
   */
  setRules(rules: readonly ColoringRule[]): void;
  /** The rules in force (a frozen copy of what was passed). */
  readonly rules: readonly ColoringRule[];
  /** Starts at 1 and grows by one on every successful `setRules`. */
  readonly version: number;
}

function compileAll(rules: unknown, policy: GrayPolicy | undefined, lookup: RolloutPercentLookup | undefined): { source: readonly ColoringRule[]; compiled: readonly CompiledRule[] } {
  if (!Array.isArray(rules)) {
    throw new GrayConfigError("graylane: coloring rules must be an array, e.g. [{ stage: 'canary', match: { header: 'x-user-group', equals: 'qa' } }].");
  }
  // Deep-copy through JSON semantics first: the caller may mutate their array later.
  const source = rules.map((rule) => structuredCloneRule(rule));
  const compiled = source.map((rule, index) => compileRule(rule, index, policy, lookup));
  return { source: Object.freeze(source) as readonly ColoringRule[], compiled: Object.freeze(compiled) };
}

function structuredCloneRule(rule: unknown): unknown {
  try {
    return typeof rule === 'object' && rule !== null ? structuredClone(rule) : rule;
  } catch {
    return rule; // Not cloneable (e.g. holds a function): compileRule reports what is wrong.
  }
}

/**
 * Compiles an ordered list of coloring rules. Rules are plain data (see {@link ColoringRule}); the
 * first rule whose conditions all hold yields its stage; when none does, `resolve` returns
 * `undefined` and the request keeps the policy's default stage.
 *
 * @throws GrayConfigError when a rule is malformed; the message names the rule's index (and name)
 *   and what to fix.
 * @example
 * const rules = createColoringRules([
 *   { name: 'qa', stage: 'canary', match: { header: 'x-user-group', equals: 'qa' } },
 *   { name: '5% of users', stage: 'canary', rollout: { percent: 5, header: 'x-user-id' } },
 * ]);
 * // The share of a named rollout, read from the registry on every request (hot, like routing rules):
 * createColoringRules([{ stage: 'canary', rollout: { rollout: 'pricing-v2', header: 'x-user-id' } }], { rolloutPercent: rolloutPercentIn(registry) });
 * rules.setRules([...]); // hot swap at run time
 */
export function createColoringRules(rules: readonly ColoringRule[], options: ColoringRulesOptions = {}): ColoringRules {
  if (typeof options !== 'object' || options === null) throw new GrayConfigError('graylane: coloring rule options must be an object.');
  const { policy, isStageEnabled, rolloutPercent } = options;
  if (isStageEnabled !== undefined && typeof isStageEnabled !== 'function') {
    throw new GrayConfigError('graylane: isStageEnabled must be a function (stage) => boolean.');
  }
  if (rolloutPercent !== undefined && typeof rolloutPercent !== 'function') {
    throw new GrayConfigError('graylane: rolloutPercent must be a function (rolloutName) => percent | undefined, e.g. rolloutPercentIn(registry) from graylane/routing.');
  }
  let current = compileAll(rules, policy, rolloutPercent);
  let version = 1;

  const enabled = (stage: string): boolean => {
    if (isStageEnabled === undefined) return true;
    try {
      return isStageEnabled(stage) === true;
    } catch {
      return false; // Fail safe: a broken guard keeps traffic on the default stage.
    }
  };

  /**
   * The one evaluation behind `resolve` and `explain`: the index of the first rule that matches and
   * whose stage is enabled, or -1. With `trace`, each rule looked at is reported with its note.
   */
  const evaluate = (list: readonly CompiledRule[], input: ColoringInput, trace?: (index: number, matched: boolean, enabled: boolean, note: RuleNote) => void): number => {
    try {
      for (let i = 0; i < list.length; i++) {
        const rule = list[i]!;
        const note: RuleNote | undefined = trace === undefined ? undefined : {};
        const matched = rule.test(input, note);
        const on = matched && enabled(rule.stage);
        if (trace !== undefined) trace(i, matched, on, note!);
        if (on) return i;
      }
    } catch {
      // Input accessors supplied by the caller threw: treat as no match.
    }
    return -1;
  };

  return {
    resolve(input) {
      const list = current.compiled;
      const i = evaluate(list, input);
      return i < 0 ? undefined : list[i]!.stage;
    },
    explain(input) {
      const { compiled, source } = current;
      const rules: ColoringRuleTrace[] = [];
      const i = evaluate(compiled, input, (index, matched, on, note) => {
        const name = source[index]?.name;
        rules.push(Object.freeze({
          index,
          ...(name === undefined ? {} : { name }),
          stage: compiled[index]!.stage,
          outcome: on ? 'matched' : matched ? 'stage-disabled' : note.rollout !== undefined && note.failed?.startsWith('rollout:') === true ? 'rollout-out' : 'no-match',
          ...(on ? {} : { why: matched ? `stage '${compiled[index]!.stage}' is disabled (isStageEnabled said no)` : note.failed ?? 'did not match' }),
          ...(note.rollout === undefined ? {} : { rollout: Object.freeze({ ...note.rollout }) }),
        } satisfies ColoringRuleTrace));
      });
      return Object.freeze({ stage: i < 0 ? undefined : compiled[i]!.stage, rule: i < 0 ? undefined : rules[rules.length - 1], rules: Object.freeze(rules), version });
    },
    setRules(next) {
      current = compileAll(next, policy, rolloutPercent);
      version++;
    },
    get rules() {
      return current.source;
    },
    get version() {
      return version;
    },
  };
}
