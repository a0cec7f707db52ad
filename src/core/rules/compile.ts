/**
 * Validates one coloring rule and compiles it into a predicate. All checks happen here, once, so
 * evaluating a rule on the request path never throws.
 * @packageDocumentation
 */
import { GrayConfigError } from '../errors.js';
import type { GrayPolicy } from '../policy.js';
import { normalizePath } from '../path.js';
import { rolloutBucket } from './hash.js';
import { compileRegex } from './regex.js';
import type { ColoringInput } from './types.js';
import { asciiLower, isValidKey, parseStage } from '../stage.js';

/** Longest request value a test looks at; longer values never match (bounds regex work). */
export const MAX_MATCH_LENGTH = 4096;
const MAX_REGEX_LENGTH = 512;

/**
 * What one rule's evaluation saw, filled in only when `explain` asks for it (the request path
 * passes no note). Internal.
 */
export interface RuleNote {
  /** The first condition that did not hold, in words (e.g. `match[1]: header 'x-user-group' is absent`). */
  failed?: string;
  /** The rollout's numbers, when the rule has a rollout and its conditions before it held. */
  rollout?: { readonly rollout: string | undefined; readonly keyPresent: boolean; readonly bucket: number | undefined; readonly threshold: number };
}

/** A compiled rule: its stage and a predicate over the request (which explains itself into `note` when given). */
export interface CompiledRule {
  readonly stage: string;
  readonly test: (input: ColoringInput, note?: RuleNote) => boolean;
}

type Test = (input: ColoringInput, note?: RuleNote) => boolean;
type Read = (input: ColoringInput) => string | undefined;
type Fail = (problem: string) => never;

const RULE_KEYS = new Set(['stage', 'name', 'match', 'rollout']);
const CONDITION_KEYS = new Set(['header', 'cookie', 'query', 'pathPrefix', 'equals', 'oneOf', 'regex', 'ignoreCase']);
const ROLLOUT_KEYS = new Set(['percent', 'rollout', 'header', 'cookie', 'salt']);
/** Names of registry rollouts (`rollout.rollout`): like service names. */
const ROLLOUT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Reads the current percentage of a named rollout (see `ColoringRulesOptions.rolloutPercent`). */
export type RolloutPercentLookup = (name: string) => number | undefined;

/** The threshold (0 … 10,000 buckets) of a looked-up percentage; anything but a number from 0 to 100 counts as 0. Never throws. */
function lookedUpThreshold(lookup: RolloutPercentLookup, name: string): number {
  let percent: unknown;
  try {
    percent = lookup(name);
  } catch {
    return 0; // Fail safe: a broken lookup colors nobody.
  }
  return typeof percent === 'number' && percent >= 0 && percent <= 100 ? Math.round(percent * 100) : 0;
}

function checkKeys(value: object, allowed: Set<string>, what: string, fail: Fail): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) fail(`${what} has unknown field ${JSON.stringify(key)}; allowed: ${[...allowed].join(', ')}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function headerName(value: unknown, what: string, fail: Fail): string {
  const name = typeof value === 'string' ? asciiLower(value) : '';
  if (!isValidKey(name)) fail(`${what} ${JSON.stringify(value)} is not a valid header name (letters, digits, '-', '_', '.')`);
  return name;
}

function plainName(value: unknown, what: string, fail: Fail): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 128) fail(`${what} must be a non-empty string of at most 128 characters`);
  return value;
}

/** Picks the one source a condition or rollout reads (header / cookie / query). */
function reader(spec: Record<string, unknown>, sources: readonly string[], what: string, fail: Fail): { read: Read; label: string } {
  const given = sources.filter((s) => spec[s] !== undefined);
  if (given.length !== 1) fail(`${what} must name exactly one of ${sources.join(', ')}`);
  const source = given[0];
  if (source === 'header') {
    const name = headerName(spec.header, `${what} header`, fail);
    return { read: (input) => input.header(name), label: `header '${name}'` };
  }
  const name = plainName(spec[source!], `${what} ${source!}`, fail);
  const label = `${source!} ${JSON.stringify(name)}`;
  if (source === 'cookie') return { read: (input) => input.cookie?.(name), label };
  return { read: (input) => input.query?.(name), label };
}

/** A value as explanations quote it: at most 64 characters, JSON-quoted (control characters escaped). */
function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function valueTest(spec: Record<string, unknown>, fail: Fail): (value: string) => boolean {
  const tests = ['equals', 'oneOf', 'regex'].filter((k) => spec[k] !== undefined);
  if (tests.length > 1) fail(`a condition takes at most one of equals, oneOf, regex (got ${tests.join(', ')})`);
  if (spec.ignoreCase !== undefined && typeof spec.ignoreCase !== 'boolean') fail('ignoreCase must be true or false');
  const fold = spec.ignoreCase === true ? asciiLower : (v: string) => v;
  if (spec.equals !== undefined) {
    if (typeof spec.equals !== 'string') fail('equals must be a string');
    const want = fold(spec.equals);
    return (v) => fold(v) === want;
  }
  if (spec.oneOf !== undefined) {
    const list = spec.oneOf;
    if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string')) fail('oneOf must be a non-empty array of strings');
    const set = new Set((list as string[]).map(fold));
    return (v) => set.has(fold(v));
  }
  if (spec.regex !== undefined) {
    if (typeof spec.regex !== 'string' || spec.regex.length === 0 || spec.regex.length > MAX_REGEX_LENGTH) fail(`regex must be a non-empty string of at most ${MAX_REGEX_LENGTH} characters`);
    const compiled = compileRegex(spec.regex, spec.ignoreCase === true);
    if (!compiled.ok) return fail(`regex ${JSON.stringify(spec.regex)} ${compiled.problem}`);
    return compiled.test;
  }
  return () => true;
}

function condition(spec: unknown, what: string, fail: Fail): Test {
  if (!isObject(spec)) fail(`${what} must be an object such as { header: 'x-user-group', equals: 'qa' }`);
  checkKeys(spec, CONDITION_KEYS, what, fail);
  if (spec.pathPrefix !== undefined) {
    const extra = Object.keys(spec).filter((k) => k !== 'pathPrefix');
    if (extra.length > 0) fail(`${what} with pathPrefix takes no other field (got ${extra.join(', ')})`);
    const prefix = spec.pathPrefix;
    if (typeof prefix !== 'string' || !prefix.startsWith('/')) fail(`${what} pathPrefix must be a string starting with '/'`);
    if (normalizePath(prefix) !== prefix) fail(`${what} pathPrefix ${JSON.stringify(prefix)} is not a normalised path (requests are matched after normalisation); use ${JSON.stringify(normalizePath(prefix))}`);
    return (input, note) => {
      const ok = input.path !== undefined && input.path.startsWith(prefix);
      if (!ok && note !== undefined) note.failed = `${what}: path ${input.path === undefined ? 'unknown' : quote(input.path)} is not under ${JSON.stringify(prefix)}`;
      return ok;
    };
  }
  const { read, label } = reader(spec, ['header', 'cookie', 'query'], what, fail);
  const test = valueTest(spec, fail);
  const wanted = ['equals', 'oneOf', 'regex'].filter((k) => spec[k] !== undefined).map((k) => `${k} ${JSON.stringify(spec[k])}`)[0] ?? 'presence';
  return (input, note) => {
    const value = read(input);
    const ok = value !== undefined && value.length <= MAX_MATCH_LENGTH && test(value);
    if (!ok && note !== undefined) {
      note.failed = value === undefined ? `${what}: ${label} is absent`
        : value.length > MAX_MATCH_LENGTH ? `${what}: ${label} is longer than ${MAX_MATCH_LENGTH} characters`
        : `${what}: ${label} ${quote(value)} does not match ${wanted}${spec.ignoreCase === true ? ' (ignoring case)' : ''}`;
    }
    return ok;
  };
}

function rollout(spec: unknown, stage: string, fail: Fail, lookup: RolloutPercentLookup | undefined): Test {
  if (!isObject(spec)) fail("rollout must be an object such as { percent: 10, header: 'x-user-id' } or { rollout: 'pricing-v2', header: 'x-user-id' }");
  checkKeys(spec, ROLLOUT_KEYS, 'rollout', fail);
  const { percent, rollout: name } = spec;
  if ((percent === undefined) === (name === undefined)) fail("rollout takes exactly one of percent (a fixed share) and rollout (the name of a registry rollout)");
  if (percent !== undefined && (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100)) fail(`rollout.percent must be a number from 0 to 100, got ${JSON.stringify(percent)}`);
  if (name !== undefined && (typeof name !== 'string' || !ROLLOUT_NAME.test(name))) fail(`rollout.rollout ${JSON.stringify(name)} is not a valid rollout name; use letters, digits, '_', '.', '-' (at most 128), e.g. 'pricing-v2'`);
  if (name !== undefined && lookup === undefined) {
    fail(`rollout.rollout '${String(name)}' needs a way to read the rollout's share: pass createColoringRules(rules, { rolloutPercent }) (e.g. rolloutPercentIn(registry) from graylane/routing)`);
  }
  if (spec.salt !== undefined && typeof spec.salt !== 'string') fail('rollout.salt must be a string');
  const { read, label } = reader(spec, ['header', 'cookie'], 'rollout', fail);
  const salt = (spec.salt as string | undefined) ?? stage;
  const fixed = typeof percent === 'number' ? Math.round(percent * 100) : undefined;
  const threshold = fixed !== undefined ? () => fixed : () => lookedUpThreshold(lookup!, name as string);
  const named = name as string | undefined;
  return (input, note) => {
    const limit = threshold();
    if (limit === 0 && note === undefined) return false;
    const key = read(input);
    const usable = key !== undefined && key.length > 0 && key.length <= MAX_MATCH_LENGTH;
    const bucket = usable ? rolloutBucket(salt, key) : undefined;
    const ok = bucket !== undefined && bucket < limit;
    if (note !== undefined) {
      note.rollout = { rollout: named, keyPresent: usable, bucket, threshold: limit };
      if (!ok) {
        const share = `${limit / 100}%${named === undefined ? '' : ` (rollout '${named}')`}`;
        note.failed = !usable ? `rollout: ${label} ${key === undefined || key.length === 0 ? 'is absent' : `is longer than ${MAX_MATCH_LENGTH} characters`} (share ${share})`
          : `rollout: bucket ${bucket} is not below ${limit} (share ${share})`;
      }
    }
    return ok;
  };
}

/** Validates rule `index` and compiles it. Throws {@link GrayConfigError} naming the rule and the fix. */
export function compileRule(rule: unknown, index: number, policy: GrayPolicy | undefined, lookup?: RolloutPercentLookup): CompiledRule {
  const label = isObject(rule) && typeof rule.name === 'string' ? `#${index} (${JSON.stringify(rule.name)})` : `#${index}`;
  const fail: Fail = (problem) => {
    throw new GrayConfigError(`graylane: coloring rule ${label}: ${problem}.`);
  };
  if (!isObject(rule)) return fail("must be an object such as { stage: 'canary', match: { header: 'x-user-group', equals: 'qa' } }");
  checkKeys(rule, RULE_KEYS, 'the rule', fail);
  const parsed = typeof rule.stage === 'string' ? parseStage(rule.stage) : undefined;
  if (parsed === undefined || !parsed.ok || parsed.stage !== rule.stage) fail(`stage ${JSON.stringify(rule.stage)} is not a valid stage; use lower-case ^[a-z0-9][a-z0-9._-]{0,63}$, e.g. 'canary'`);
  const stage = rule.stage as string;
  if (policy?.stages !== undefined && !policy.stages.has(stage)) fail(`stage '${stage}' is not in the policy's stages [${[...policy.stages].join(', ')}]; add it there or fix the rule`);
  if (rule.name !== undefined && typeof rule.name !== 'string') fail('name must be a string');
  const specs: unknown[] = rule.match === undefined ? [] : Array.isArray(rule.match) ? rule.match : [rule.match];
  const tests = specs.map((spec, i) => condition(spec, specs.length > 1 ? `match[${i}]` : 'match', fail));
  if (rule.rollout !== undefined) tests.push(rollout(rule.rollout, stage, fail, lookup));
  if (tests.length === 0) return { stage, test: () => true };
  if (tests.length === 1) return { stage, test: tests[0]! };
  return {
    stage,
    test(input, note) {
      for (let i = 0; i < tests.length; i++) if (!tests[i]!(input, note)) return false;
      return true;
    },
  };
}
