/**
 * The request's gray context as OpenFeature evaluation-context attributes: the release stage and
 * configured carried keys, read from graylane's context store (the decided context, never headers).
 * @packageDocumentation
 */
import type { EvaluationContext } from '@openfeature/server-sdk';
import { getGrayContext } from '../core/context.js';
import { GrayConfigError } from '../core/errors.js';
import { defaultGrayPolicy, type GrayPolicy } from '../core/policy.js';
import { asciiLower, isValidKey } from '../core/stage.js';

/** Options of {@link grayEvaluationContext} and `grayOpenFeatureHook`. */
export interface GrayEvaluationContextOptions {
  /** Attribute holding the release stage, so flags target `releaseStage == "canary"`. Default `'releaseStage'`. */
  readonly stageAttribute?: string;
  /**
   * Attribute set to `true` / `false`: whether the stage came with the request (or coloring) rather
   * than being the default. Default: none (not set).
   */
  readonly explicitAttribute?: string;
  /**
   * Carried keys to copy (they must be carried by the policy, e.g. its `keys` or `keyPrefix`): a list
   * (the attribute is the key, e.g. `'x-gray-user'`) or `{ key: attribute }`, e.g.
   * `{ 'x-gray-user': 'grayUser' }`. Keys absent from the request are left out. Default: none.
   */
  readonly keys?: readonly string[] | Readonly<Record<string, string>>;
  /** Policy whose default stage is used outside a request. Default: the default policy (`'stable'`). */
  readonly policy?: GrayPolicy;
}

/** Validated options. Internal. */
export interface EvaluationAttributes {
  readonly stage: string;
  readonly explicit: string | undefined;
  readonly keys: ReadonlyArray<readonly [string, string]>;
  readonly policy: GrayPolicy;
}

const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

function attribute(name: unknown, where: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128 || RESERVED.has(name)) {
    throw new GrayConfigError(`graylane/openfeature: ${where} must be an attribute name of 1-128 characters (not __proto__, constructor, prototype), got ${JSON.stringify(name)}.`);
  }
  return name;
}

/** Validates the options. @throws GrayConfigError. Internal. */
export function resolveAttributes(options: GrayEvaluationContextOptions = {}): EvaluationAttributes {
  if (typeof options !== 'object' || options === null) throw new GrayConfigError('graylane/openfeature: options must be an object.');
  const stage = attribute(options.stageAttribute ?? 'releaseStage', 'stageAttribute');
  const explicit = options.explicitAttribute === undefined ? undefined : attribute(options.explicitAttribute, 'explicitAttribute');
  const raw = options.keys ?? [];
  if (typeof raw !== 'object' || raw === null) throw new GrayConfigError('graylane/openfeature: keys must be a list of keys or { key: attribute }.');
  const pairs = Array.isArray(raw) ? (raw as readonly string[]).map((k) => [k, k] as const) : Object.entries(raw as Record<string, string>);
  const keys = pairs.map(([key, attr]) => {
    const k = typeof key === 'string' ? asciiLower(key) : '';
    if (!isValidKey(k)) throw new GrayConfigError(`graylane/openfeature: keys entry ${JSON.stringify(key)} is not a valid header / metadata key.`);
    return [k, attribute(attr, `keys[${JSON.stringify(key)}]`)] as const;
  });
  const names = [stage, ...(explicit === undefined ? [] : [explicit]), ...keys.map(([, a]) => a)];
  if (new Set(names).size !== names.length) throw new GrayConfigError(`graylane/openfeature: attribute names must differ, got ${JSON.stringify(names)}.`);
  return { stage, explicit, keys, policy: options.policy ?? defaultGrayPolicy() };
}

/** The attributes of the current request (or the default stage outside one). Internal. */
export function currentAttributes(a: EvaluationAttributes): Record<string, string | boolean> {
  const ctx = getGrayContext();
  const out: Record<string, string | boolean> = { [a.stage]: ctx?.stage ?? a.policy.defaultStage };
  if (a.explicit !== undefined) out[a.explicit] = ctx?.explicit ?? false;
  if (ctx !== undefined) {
    for (const [key, attr] of a.keys) {
      if (Object.hasOwn(ctx.entries, key)) out[attr] = ctx.entries[key]!;
    }
  }
  return out;
}

/**
 * The current request's release stage (and configured keys) as an OpenFeature evaluation context,
 * e.g. `{ releaseStage: 'canary' }`: pass it to a single evaluation, or merge it into your own.
 * Outside a request the stage is the policy's default.
 *
 * @throws GrayConfigError on bad options.
 * @example
 * const on = await client.getBooleanValue('new-checkout', false, grayEvaluationContext());
 */
export function grayEvaluationContext(options?: GrayEvaluationContextOptions): EvaluationContext {
  return currentAttributes(resolveAttributes(options));
}
