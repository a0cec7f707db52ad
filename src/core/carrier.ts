/**
 * Carriers: getter/setter interfaces over anything holding key/values on the wire, and the single
 * implementation of extract / inject that every adapter uses.
 * @packageDocumentation
 */
import { getGrayContext, type GrayContext } from './context.js';
import { defaultGrayPolicy, makeContext, type GrayPolicy } from './policy.js';
import { CONTROL_KEYS } from './control-keys.js';
import { asciiLower, checkValue, isValidKey } from './stage.js';

/** Reads values from a carrier. Keys are lower-case. */
export interface GrayGetter<C> {
  /** First value under `key` as text (`-bin` values as base64), or `undefined` when absent. */
  get(carrier: C, key: string): string | undefined;
  /** Every key present; needed only when the policy has a `keyPrefix`. */
  keys?(carrier: C): Iterable<string>;
}

/** Writes values into a carrier. */
export interface GraySetter<C> {
  /** Sets `key` to `value` (`-bin` values arrive as base64). */
  set(carrier: C, key: string, value: string): void;
  /** `true` when the carrier already holds `key` (injection then leaves it alone). */
  has(carrier: C, key: string): boolean;
}

/** Options of {@link injectGrayContext}. */
export interface InjectOptions {
  /** Replace keys the carrier already holds. Default `false`: the carrier's own values win. */
  readonly overwrite?: boolean;
}

/** Headers as a plain object: `{ [name]: string | string[] | undefined }` (Node's `IncomingHttpHeaders`, message headers). */
export type HeaderRecord = Record<string, string | readonly string[] | number | undefined>;

function firstHeader(value: string | readonly string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return value[0];
}

/** Getter/setter for plain header records. Reads are case-insensitive; writes use lower-case keys. */
export const recordCarrier: GrayGetter<HeaderRecord> & GraySetter<HeaderRecord> = {
  get(carrier, key) {
    if (Object.hasOwn(carrier, key)) return firstHeader(carrier[key]);
    for (const name of Object.keys(carrier)) {
      if (name.length === key.length && asciiLower(name) === key) return firstHeader(carrier[name]);
    }
    return undefined;
  },
  keys(carrier) {
    return Object.keys(carrier).map(asciiLower);
  },
  set(carrier, key, value) {
    carrier[key] = value;
  },
  has(carrier, key) {
    return recordCarrier.get(carrier, key) !== undefined;
  },
};

function readStage<C>(carrier: C, getter: GrayGetter<C>, policy: GrayPolicy): string | undefined {
  let key = policy.stageKey;
  let raw = getter.get(carrier, key);
  if (raw === undefined) {
    for (const alias of policy.aliases) {
      raw = getter.get(carrier, alias);
      if (raw !== undefined) {
        key = alias;
        break;
      }
    }
    if (raw === undefined) return undefined;
  }
  if (!policy.trustIncoming) return void policy.reportInvalid(key, 'untrusted', raw);
  return policy.acceptStage(raw, key);
}

/** Adds one extra key if valid and under the cap; returns the new count. No closure per call. */
function addExtra(policy: GrayPolicy, entries: Record<string, string>, key: string, value: string, count: number): number {
  if (Object.hasOwn(entries, key)) return count;
  const reason = checkValue(key, value, policy.maxValueLength);
  if (reason !== undefined) {
    policy.reportInvalid(key, reason, value);
    return count;
  }
  if (count >= policy.maxKeys) {
    policy.reportInvalid(key, 'too-many-keys', value);
    return count;
  }
  entries[key] = value;
  return count + 1;
}

// Prefix-matched key names repeat across requests: remember the valid ones (bounded, so junk cannot grow it).
const validKeys = new Set<string>();
function isCarriableKey(key: string): boolean {
  if (validKeys.has(key)) return true;
  if (!isValidKey(key)) return false;
  if (validKeys.size < 1024) validKeys.add(key);
  return true;
}

function hasPrefix(prefixes: readonly string[], key: string): boolean {
  for (let i = 0; i < prefixes.length; i++) if (key.startsWith(prefixes[i]!)) return true;
  return false;
}

/** Keys never carried as extras: a secret (`skip`), and graylane's control keys unless the caller is trusted. */
function isWithheld(policy: GrayPolicy, key: string, skip: string | undefined): boolean {
  return key === skip || (!policy.trustIncoming && CONTROL_KEYS.has(key));
}

function readExtras<C>(carrier: C, getter: GrayGetter<C>, policy: GrayPolicy, entries: Record<string, string>, count: number, skip: string | undefined): number {
  const keys = policy.keys;
  for (let i = 0; i < keys.length; i++) {
    if (isWithheld(policy, keys[i]!, skip)) continue;
    const value = getter.get(carrier, keys[i]!);
    if (value !== undefined) count = addExtra(policy, entries, keys[i]!, value, count);
  }
  const prefixes = policy.keyPrefixes;
  if (prefixes.length === 0 || getter.keys === undefined) return count;
  for (const key of getter.keys(carrier)) {
    if (!hasPrefix(prefixes, key) || key.endsWith('-bin') || key === policy.stageKey || policy.aliases.includes(key) || isWithheld(policy, key, skip)) continue;
    const value = getter.get(carrier, key);
    if (value === undefined) continue;
    // HTTP header names allow characters gRPC metadata keys do not (e.g. `!`): never carry those.
    if (!isCarriableKey(key)) policy.reportInvalid(key, 'bad-characters', value);
    else count = addExtra(policy, entries, key, value, count);
  }
  return count;
}

// The stage of an outgoing call (aliases included) is one rule shared with the balancer: call-stage.ts.
export { outgoingStage } from './call-stage.js';

/**
 * Reads a gray context from a carrier under `policy` (default: the default policy). Invalid values
 * are dropped and reported through the policy's `onInvalid`; this function never throws on input.
 */
export function extractGrayContext<C>(carrier: C, getter: GrayGetter<C>, policy: GrayPolicy = defaultGrayPolicy()): GrayContext {
  return extractGrayContextExcept(carrier, getter, policy, undefined);
}

/**
 * {@link extractGrayContext} that never carries the key `skip` (e.g. the HTTP edge's secret
 * trust-token header, which a `keyPrefix` could cover). Internal.
 */
export function extractGrayContextExcept<C>(carrier: C, getter: GrayGetter<C>, policy: GrayPolicy, skip: string | undefined): GrayContext {
  const stage = readStage(carrier, getter, policy);
  if (policy.keys.length === 0 && policy.keyPrefixes.length === 0) {
    return stage === undefined ? policy.defaultContext : policy.contextFor(stage);
  }
  // Keys come from the request: a null prototype keeps names such as `constructor` inert.
  const entries = Object.create(null) as Record<string, string>;
  const base = stage === undefined ? 0 : 1;
  if (stage !== undefined) {
    entries[policy.stageKey] = stage;
    if (policy.forwardAliases) for (const alias of policy.aliases) entries[alias] = stage;
  }
  const count = readExtras(carrier, getter, policy, entries, base, skip);
  if (count === base) return stage === undefined ? policy.defaultContext : policy.contextFor(stage);
  return makeContext(stage ?? policy.defaultStage, stage !== undefined, entries);
}

/**
 * Writes the context's entries into a carrier. Keys the carrier already holds are kept unless
 * `{ overwrite: true }`. `ctx` defaults to the current context; with none, nothing is written.
 */
export function injectGrayContext<C>(ctx: GrayContext | undefined, carrier: C, setter: GraySetter<C>, options?: InjectOptions): C {
  const source = ctx ?? getGrayContext();
  if (source === undefined) return carrier;
  const overwrite = options?.overwrite === true;
  const entries = source.entries;
  for (const key in entries) {
    if (overwrite || !setter.has(carrier, key)) setter.set(carrier, key, entries[key]!);
  }
  return carrier;
}

/** The propagated keys of `ctx` (default: the current context) as a new plain object, e.g. for `fetch`. */
export function grayHeaders(ctx: GrayContext | undefined = getGrayContext()): Record<string, string> {
  return ctx === undefined ? {} : { ...ctx.entries };
}
