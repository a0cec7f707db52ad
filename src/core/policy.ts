/**
 * The gray policy: which keys are propagated, which stage values are accepted, and what happens to
 * the rest. Built once (validated at construction), read on every call.
 * @packageDocumentation
 */
import { GrayConfigError } from './errors.js';
import {
  DEFAULT_STAGE,
  RELEASE_STAGE_KEY,
  isValidKey,
  parseStage,
  type GrayInvalidReason,
} from './stage.js';
import type { GrayContext } from './context.js';

/** What the `onInvalid` hook receives when an incoming value is rejected. */
export interface GrayInvalidEvent {
  /** The metadata / header key the value came from. */
  readonly key: string;
  /** Why it was rejected. */
  readonly reason: GrayInvalidReason;
  /** The raw value, cut to 64 characters. */
  readonly value: string;
}

/** Options of {@link createGrayPolicy}. Every field is optional; defaults are listed per field. */
export interface GrayPolicyOptions {
  /** Key carrying the stage. Default `'x-release-stage'` ({@link RELEASE_STAGE_KEY}). */
  readonly stageKey?: string;
  /** Other keys read for the stage when `stageKey` is absent, in order, e.g. `['x-canary-version']`. Default `[]`. */
  readonly aliases?: readonly string[];
  /** Also write the stage under every alias when forwarding. Default `false` (only `stageKey` is written). */
  readonly forwardAliases?: boolean;
  /** Stage of requests without a valid stage. Default `'stable'` ({@link DEFAULT_STAGE}). */
  readonly defaultStage?: string;
  /** Allowlist of stages, e.g. `['stable', 'canary']`. Default: any value matching `^[a-z0-9][a-z0-9._-]{0,63}$`. */
  readonly stages?: readonly string[];
  /** Extra keys to carry along with the stage, e.g. `['x-user-group']`. `-bin` keys only here, by name. Default `[]`. */
  readonly keys?: readonly string[];
  /** Carry every incoming key starting with this prefix (or any of these), e.g. `'x-gray-'`. Default: none. */
  readonly keyPrefix?: string | readonly string[];
  /** Longest accepted value of an extra key, in characters. Default `256`. */
  readonly maxValueLength?: number;
  /** Most keys carried per request, the stage key included; further keys are dropped. Default `32`. */
  readonly maxKeys?: number;
  /**
   * Accept a stage sent by the caller. Default `true`. Set `false` on a service that faces clients
   * directly: incoming stage values are then ignored and reported with reason `'untrusted'`.
   * Extra keys are still carried.
   */
  readonly trustIncoming?: boolean;
  /** Called (synchronously, errors swallowed) for every rejected incoming value. Default: none. */
  readonly onInvalid?: (event: GrayInvalidEvent) => void;
}

/** A validated, immutable policy built by {@link createGrayPolicy}. */
export interface GrayPolicy {
  /** The metadata / header key holding the stage (option `stageKey`, default `'x-release-stage'`). */
  readonly stageKey: string;
  /** Keys read for the stage when `stageKey` is absent, in order (option `aliases`, default none). */
  readonly aliases: readonly string[];
  /** Whether forwarding also writes the stage under every alias (option `forwardAliases`, default `false`). */
  readonly forwardAliases: boolean;
  /** The stage of requests without a valid one (option `defaultStage`, default `'stable'`). */
  readonly defaultStage: string;
  /** The allowlist, or `undefined` when any well-formed stage is accepted. */
  readonly stages: ReadonlySet<string> | undefined;
  /** Extra keys carried by name, lower-cased (option `keys`, default none). */
  readonly keys: readonly string[];
  /** Extra keys carried by prefix, lower-cased (option `keyPrefix`, default none). */
  readonly keyPrefixes: readonly string[];
  /** Longest carried value, in characters (option `maxValueLength`, default `256`). */
  readonly maxValueLength: number;
  /** Most keys carried per request, the stage included (option `maxKeys`, default `32`). */
  readonly maxKeys: number;
  /** Whether incoming stage values are honoured (option `trustIncoming`, default `true`). */
  readonly trustIncoming: boolean;
  /** The shared context of requests that carry nothing: `{ stage: defaultStage, explicit: false, entries: {} }`. */
  readonly defaultContext: GrayContext;
  /** Counts of rejected incoming values by reason, since the policy was built. */
  readonly rejected: Readonly<Record<GrayInvalidReason, number>>;
  /** Normalises and checks a stage value; `undefined` (and a hook call reporting `key`) when rejected. Never throws. */
  acceptStage(raw: string, key?: string): string | undefined;
  /** Reports a rejected value: counts it and calls `onInvalid`. Never throws. */
  reportInvalid(key: string, reason: GrayInvalidReason, value: string): void;
  /** Builds the context of an explicit stage, with the keys this policy forwards for it. */
  contextFor(stage: string, extra?: Readonly<Record<string, string>>): GrayContext;
}

const CACHE_LIMIT = 256;
const EMPTY: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);

function list(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

function requireKey(option: string, key: unknown): string {
  if (typeof key !== 'string' || !isValidKey(key)) {
    throw new GrayConfigError(
      `graylane: ${option} ${JSON.stringify(key)} is not a valid metadata key; use lower-case letters, digits, '-', '_' or '.' (at most 128 characters).`,
    );
  }
  return key;
}

function requireStage(option: string, value: unknown): string {
  const parsed = typeof value === 'string' ? parseStage(value) : undefined;
  if (parsed === undefined || !parsed.ok || parsed.stage !== value) {
    throw new GrayConfigError(
      `graylane: ${option} ${JSON.stringify(value)} is not a valid stage; use lower-case ^[a-z0-9][a-z0-9._-]{0,63}$, e.g. 'stable' or 'canary'.`,
    );
  }
  return parsed.stage;
}

function requireCount(option: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new GrayConfigError(`graylane: ${option} must be an integer from 1 to ${max}, got ${String(value)}.`);
  }
  return value;
}

const shared = new WeakSet<GrayContext>();

/** `true` for a context the policy shares between requests (a stage with no extra keys). Internal. */
export function isSharedContext(ctx: GrayContext): boolean {
  return shared.has(ctx);
}

/** Freezes a context value. Internal: contexts are always built through here. */
export function makeContext(stage: string, explicit: boolean, entries: Readonly<Record<string, string>>): GrayContext {
  return Object.freeze({ stage, explicit, entries: Object.freeze(entries) });
}

/**
 * Builds a validated policy. Throws {@link GrayConfigError} for bad options (invalid key names, a
 * default stage outside the allowlist, non-positive limits, …) with a message that says what to fix.
 *
 * @example
 * const policy = createGrayPolicy({ stages: ['stable', 'canary'], aliases: ['x-canary-version'], keyPrefix: 'x-gray-' });
 */
export function createGrayPolicy(options: GrayPolicyOptions = {}): GrayPolicy {
  if (typeof options !== 'object' || options === null) {
    throw new GrayConfigError('graylane: policy options must be an object.');
  }
  const stageKey = requireKey('stageKey', options.stageKey ?? RELEASE_STAGE_KEY);
  const aliases = list(options.aliases).map((k) => requireKey('alias', k));
  const keys = list(options.keys).map((k) => requireKey('key', k));
  const keyPrefixes = list(options.keyPrefix).map((p) => requireKey('keyPrefix', p));
  for (const k of [...aliases, ...keys]) {
    if (k === stageKey) throw new GrayConfigError(`graylane: ${JSON.stringify(k)} is the stage key; do not list it in aliases or keys.`);
  }
  for (const k of keys) {
    if (aliases.includes(k)) {
      throw new GrayConfigError(`graylane: ${JSON.stringify(k)} is listed both in aliases and in keys; an alias carries the stage (accepted only from trusted callers), so remove it from keys.`);
    }
  }
  const stages = options.stages === undefined ? undefined : new Set(options.stages.map((s) => requireStage('stages entry', s)));
  if (stages !== undefined && stages.size === 0) {
    throw new GrayConfigError('graylane: stages is empty; list the allowed stages (e.g. [\'stable\', \'canary\']) or omit the option.');
  }
  const defaultStage = requireStage('defaultStage', options.defaultStage ?? DEFAULT_STAGE);
  if (stages !== undefined && !stages.has(defaultStage)) {
    throw new GrayConfigError(`graylane: defaultStage '${defaultStage}' is not in stages [${[...stages].join(', ')}]; add it or change defaultStage.`);
  }
  const maxValueLength = requireCount('maxValueLength', options.maxValueLength, 256, 8192);
  const maxKeys = requireCount('maxKeys', options.maxKeys, 32, 256);
  const forwardAliases = options.forwardAliases === true;
  const trustIncoming = options.trustIncoming !== false;
  const onInvalid = options.onInvalid;
  if (onInvalid !== undefined && typeof onInvalid !== 'function') {
    throw new GrayConfigError('graylane: onInvalid must be a function.');
  }

  const rejected: Record<GrayInvalidReason, number> = {
    empty: 0, 'too-long': 0, 'bad-characters': 0, 'not-allowed': 0, untrusted: 0, 'too-many-keys': 0,
  };
  // raw value -> accepted stage; only accepted values are cached, so junk cannot grow it past the cap.
  const accepted = new Map<string, string>();

  const reportInvalid = (key: string, reason: GrayInvalidReason, value: string): void => {
    rejected[reason]++;
    if (onInvalid === undefined) return;
    try {
      onInvalid({ key, reason, value: String(value).slice(0, 64) });
    } catch {
      // A faulty hook must not break the request path.
    }
  };

  const acceptStage = (raw: string, key: string = stageKey): string | undefined => {
    const hit = accepted.get(raw);
    if (hit !== undefined) return hit;
    const parsed = parseStage(String(raw));
    if (!parsed.ok) return void reportInvalid(key, parsed.reason, raw);
    if (stages !== undefined && !stages.has(parsed.stage)) return void reportInvalid(key, 'not-allowed', raw);
    if (accepted.size < CACHE_LIMIT) accepted.set(raw, parsed.stage);
    return parsed.stage;
  };

  // Contexts are immutable, so the context of a stage with no extra keys is built once and shared.
  const stageOnly = new Map<string, GrayContext>();
  const contextFor = (stage: string, extra?: Readonly<Record<string, string>>): GrayContext => {
    const plain = extra === undefined || Object.keys(extra).length === 0;
    if (plain) {
      const cached = stageOnly.get(stage);
      if (cached !== undefined) return cached;
    }
    const entries: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, extra);
    entries[stageKey] = stage;
    if (forwardAliases) for (const alias of aliases) entries[alias] = stage;
    const ctx = makeContext(stage, true, entries);
    if (plain && stageOnly.size < CACHE_LIMIT) {
      stageOnly.set(stage, ctx);
      shared.add(ctx);
    }
    return ctx;
  };

  return Object.freeze({
    stageKey,
    aliases: Object.freeze(aliases),
    forwardAliases,
    defaultStage,
    stages,
    keys: Object.freeze(keys),
    keyPrefixes: Object.freeze(keyPrefixes),
    maxValueLength,
    maxKeys,
    trustIncoming,
    defaultContext: markShared(makeContext(defaultStage, false, EMPTY)),
    rejected,
    acceptStage,
    reportInvalid,
    contextFor,
  });
}

let sharedPolicy: GrayPolicy | undefined;

/** The policy used when none is given: all defaults. Built on first use (no work at import time). */
export function defaultGrayPolicy(): GrayPolicy {
  return (sharedPolicy ??= createGrayPolicy());
}

function markShared(ctx: GrayContext): GrayContext {
  shared.add(ctx);
  return ctx;
}

/** Accepts a policy or policy options (as adapters take them) and returns a policy. */
export function resolvePolicy(options: { policy?: GrayPolicy } & GrayPolicyOptions | undefined): GrayPolicy {
  if (options === undefined) return defaultGrayPolicy();
  if (options.policy !== undefined) return options.policy;
  const { policy: _ignored, ...rest } = options as { policy?: GrayPolicy } & Record<string, unknown>;
  return Object.keys(rest).length === 0 ? defaultGrayPolicy() : createGrayPolicy(options);
}
