/**
 * Log fields of the current gray context for any logger, and a ready pino `mixin`.
 * @packageDocumentation
 */
import { getGrayContext } from '../core/context.js';
import { GrayConfigError } from '../core/errors.js';
import { isValidKey } from '../core/stage.js';
import type { GrayPolicy } from '../core/policy.js';

/** Options of {@link grayLogFields} and {@link grayPinoMixin}. */
export interface GrayLogFieldsOptions {
  /** Field name of the stage. Default `'release_stage'`. */
  readonly stageField?: string;
  /**
   * Propagated keys to log besides the stage: an array of keys (field name = key with every
   * character outside `[A-Za-z0-9_]` replaced by `_`, e.g. `x-user-group` → `x_user_group`) or a
   * `{ key: fieldName }` map. A key absent from the context is left out. Each key needs a field of
   * its own, other than `stageField` (else `GrayConfigError`): carried values may come from callers
   * and must never pass for the stage. Default: none.
   */
  readonly keys?: readonly string[] | Readonly<Record<string, string>>;
  /**
   * Outside any request, log the default stage (`{ release_stage: 'stable' }`) instead of nothing.
   * Default `false`: outside a request the fields are `{}`.
   */
  readonly includeDefault?: boolean;
  /** Policy naming the default stage for `includeDefault`. Default: the default policy (`'stable'`). */
  readonly policy?: GrayPolicy;
}

/** Returns the log fields of the current context; a new object on every call. */
export type GrayLogFieldsFn = () => Record<string, string | boolean>;

function fieldName(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * Builds a function returning `{ release_stage, ...extra keys }` for the current gray context, e.g.
 * for `logger.child(fields())` or a structured logger's context hook. Cheap: one store lookup and
 * one small object per call.
 *
 * @throws GrayConfigError for an invalid key or field name.
 */
export function grayLogFieldsFn(options: GrayLogFieldsOptions = {}): GrayLogFieldsFn {
  const stageField = options.stageField ?? 'release_stage';
  if (typeof stageField !== 'string' || stageField.length === 0) {
    throw new GrayConfigError('graylane/observe: stageField must be a non-empty string.');
  }
  const pairs: Array<[string, string]> = Array.isArray(options.keys)
    ? (options.keys as readonly string[]).map((k) => [k, fieldName(k)])
    : Object.entries(options.keys ?? {});
  const fields = new Set<string>([stageField]);
  for (const [key, field] of pairs) {
    if (typeof key !== 'string' || !isValidKey(key) || typeof field !== 'string' || field.length === 0 || field === '__proto__') {
      throw new GrayConfigError(`graylane/observe: log key ${JSON.stringify(key)} → ${JSON.stringify(field)} is invalid; use lower-case metadata keys and non-empty field names.`);
    }
    // A carried key may come from an untrusted caller: it must never be logged as the stage, nor
    // silently replace another key's field.
    if (fields.has(field)) {
      throw new GrayConfigError(field === stageField
        ? `graylane/observe: log key ${JSON.stringify(key)} maps to the stage field ${JSON.stringify(field)}; a carried value must not be logged as the stage — pick another field name.`
        : `graylane/observe: two log keys map to the field ${JSON.stringify(field)}; give each key its own field name.`);
    }
    fields.add(field);
  }
  const defaultStage = options.includeDefault === true ? (options.policy?.defaultStage ?? 'stable') : undefined;
  return () => {
    const ctx = getGrayContext();
    const out: Record<string, string | boolean> = {};
    if (ctx === undefined) {
      if (defaultStage !== undefined) out[stageField] = defaultStage;
      return out;
    }
    out[stageField] = ctx.stage;
    for (let i = 0; i < pairs.length; i++) {
      const [key, field] = pairs[i]!;
      const entries = ctx.entries;
      if (Object.hasOwn(entries, key)) out[field] = entries[key]!;
    }
    return out;
  };
}

/**
 * The log fields of the current gray context: `{ release_stage: 'canary', ...configured keys }`,
 * or `{}` outside a request (unless `includeDefault`). For repeated use build the function once
 * with {@link grayLogFieldsFn}.
 */
export function grayLogFields(options?: GrayLogFieldsOptions): Record<string, string | boolean> {
  if (options === undefined) return (defaultFields ??= grayLogFieldsFn())();
  return grayLogFieldsFn(options)();
}

let defaultFields: GrayLogFieldsFn | undefined;

/**
 * A pino `mixin`: `pino({ mixin: grayPinoMixin() })` adds `release_stage` (and configured keys) to
 * every line logged inside a request. Returns a fresh object per line (pino merges into it).
 * Same options and defaults as {@link grayLogFieldsFn}.
 */
export function grayPinoMixin(options?: GrayLogFieldsOptions): () => Record<string, string | boolean> {
  return grayLogFieldsFn(options);
}
