/**
 * Validation of registry content (instances, rules, addresses). Throws `GrayConfigError` with a
 * message that names the offending entry and says what to fix.
 * @packageDocumentation
 */
import { isIPv6 } from 'node:net';
import { GrayConfigError } from '../core/errors.js';
import { parseStage } from '../core/stage.js';
import type { GrayFallbackMode, GrayInstance, GrayServiceRules } from './types.js';

const SERVICE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;
const HOST_PATTERN = /^[A-Za-z0-9_.-]+$/;
const MAX_WEIGHT = 1000;
/** Names that match the pattern but are object-model keys: refused so no code path can treat them as a property of a plain object. */
const RESERVED_SERVICES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** `JSON.stringify(value)` cut to 64 characters, for error messages (registry content is untrusted and may be huge). */
export function quote(value: unknown): string {
  let text: string;
  try {
    if (typeof value === 'string') text = JSON.stringify(value);
    else if (Array.isArray(value)) text = 'an array';
    else if (typeof value === 'object' && value !== null) text = 'an object';
    else text = String(value);
  } catch {
    text = typeof value;
  }
  return text.length > 64 ? `${text.slice(0, 60)}…${text.startsWith('"') ? '"' : ''}` : text;
}

/** A parsed `host:port`. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port` or `[v6]:port`; `undefined` when malformed. */
export function parseAddress(address: string): HostPort | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (match === null) return undefined;
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  if (match[1] === undefined ? !HOST_PATTERN.test(host) || host.length > 253 || /^[.-]|\.\.|-$/.test(host) : !isIPv6(host)) return undefined;
  return { host, port };
}

/**
 * Throws unless `service` is a valid service name (letters, digits, `_`, `.`, `-`; at most 200)
 * and not one of the reserved names `__proto__`, `constructor`, `prototype`.
 */
export function requireService(service: unknown, where: string): string {
  if (typeof service !== 'string' || !SERVICE_PATTERN.test(service)) {
    throw new GrayConfigError(
      `graylane: ${where}: service ${quote(service)} is not valid; use letters, digits, '_', '.' or '-' (at most 200 characters), e.g. 'shop.Price'.`,
    );
  }
  if (RESERVED_SERVICES.has(service)) {
    throw new GrayConfigError(
      `graylane: ${where}: service ${quote(service)} is a reserved name (__proto__, constructor and prototype are object-model keys, refused so they can never reach a plain object); rename the service.`,
    );
  }
  return service;
}

/** Throws unless `stage` is already a normalised stage (lower-case `^[a-z0-9][a-z0-9._-]{0,63}$`). */
export function requireRegistryStage(stage: unknown, where: string): string {
  const parsed = typeof stage === 'string' ? parseStage(stage) : undefined;
  if (parsed === undefined || !parsed.ok || parsed.stage !== stage) {
    throw new GrayConfigError(
      `graylane: ${where}: stage ${quote(stage)} is not valid; use lower-case ^[a-z0-9][a-z0-9._-]{0,63}$, e.g. 'stable' or 'canary'.`,
    );
  }
  return parsed.stage;
}

function requireMeta(meta: unknown, where: string): Readonly<Record<string, string>> | undefined {
  if (meta === undefined) return undefined;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new GrayConfigError(`graylane: ${where}: meta must be an object of string values.`);
  }
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== 'string') throw new GrayConfigError(`graylane: ${where}: meta[${quote(k)}] must be a string.`);
    out[k] = v;
  }
  return Object.freeze(out);
}

/** Validates and freezes one instance. `where` prefixes error messages (e.g. `'instances[2]'`). */
export function normalizeInstance(raw: unknown, where: string): GrayInstance {
  if (typeof raw !== 'object' || raw === null) {
    throw new GrayConfigError(`graylane: ${where} must be an object { service, address, stage, weight?, meta? }.`);
  }
  const value = raw as Record<string, unknown>;
  const own = (key: string): unknown => (Object.hasOwn(value, key) ? value[key] : undefined);
  const service = requireService(own('service'), where);
  const address = own('address');
  if (typeof address !== 'string' || parseAddress(address) === undefined) {
    throw new GrayConfigError(`graylane: ${where}: address ${quote(address)} is not 'host:port' (IPv6 as '[::1]:50051').`);
  }
  const stage = requireRegistryStage(own('stage'), where);
  const weight = own('weight') ?? 1;
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT) {
    throw new GrayConfigError(`graylane: ${where}: weight ${quote(own('weight'))} must be an integer from 1 to ${MAX_WEIGHT}.`);
  }
  const meta = requireMeta(own('meta'), where);
  return Object.freeze({ service, address, stage, weight, ...(meta === undefined ? {} : { meta }) });
}

/**
 * Throws when two instances of one service share an address: an instance runs one stage, so a
 * second entry (a copy-paste, a re-stage that kept the old line) would send one stage's calls to
 * another stage's process, and its weight would be ambiguous.
 */
export function requireDistinctAddresses(instances: readonly GrayInstance[], where: string): void {
  const seen = new Map<string, number>();
  instances.forEach((inst, i) => {
    const key = `${inst.service} ${inst.address}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new GrayConfigError(
        `graylane: ${where}[${i}]: service ${quote(inst.service)} already lists address ${quote(inst.address)} at ${where}[${first}]; an address serves one stage, remove one of the entries.`,
      );
    }
    seen.set(key, i);
  });
}

function stageList(value: unknown, field: string, where: string): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) throw new GrayConfigError(`graylane: ${where}: ${field} must be an array of stages.`);
  return Object.freeze([...new Set(value.map((s, i) => requireRegistryStage(s, `${where}.${field}[${i}]`)))]);
}

/** Default rules: permissive, nothing strict, nothing disabled. */
export const DEFAULT_RULES: Required<GrayServiceRules> = Object.freeze({
  fallback: 'permissive',
  strictStages: Object.freeze([]),
  disabledStages: Object.freeze([]),
});

/** Validates rules and fills in defaults. */
export function normalizeRules(raw: unknown, where: string): Required<GrayServiceRules> {
  if (raw === undefined) return DEFAULT_RULES;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new GrayConfigError(`graylane: ${where} must be an object { fallback?, strictStages?, disabledStages? }.`);
  }
  const value = raw as Record<string, unknown>;
  const own = (key: string): unknown => (Object.hasOwn(value, key) ? value[key] : undefined);
  const fallback = own('fallback') ?? 'permissive';
  if (fallback !== 'permissive' && fallback !== 'strict') {
    throw new GrayConfigError(`graylane: ${where}: fallback ${quote(fallback)} must be 'permissive' or 'strict'.`);
  }
  return Object.freeze({
    fallback: fallback as GrayFallbackMode,
    strictStages: stageList(own('strictStages'), 'strictStages', where),
    disabledStages: stageList(own('disabledStages'), 'disabledStages', where),
  });
}

/** Validates a `{ [service]: rules }` map. */
export function normalizeRuleMap(raw: unknown, where: string): ReadonlyMap<string, Required<GrayServiceRules>> {
  const out = new Map<string, Required<GrayServiceRules>>();
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new GrayConfigError(`graylane: ${where} must be an object keyed by service name.`);
  }
  for (const [service, rules] of Object.entries(raw)) {
    requireService(service, `${where}`);
    out.set(service, normalizeRules(rules, `${where}.${service}`));
  }
  return out;
}

/** Rules with `stage` added to / removed from `disabledStages`. */
export function withStageDisabled(rules: Required<GrayServiceRules>, stage: string, disabled: boolean): Required<GrayServiceRules> {
  const set = new Set(rules.disabledStages);
  if (disabled) set.add(stage);
  else set.delete(stage);
  return Object.freeze({ ...rules, disabledStages: Object.freeze([...set]) });
}
