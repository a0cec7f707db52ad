/**
 * The registry file format: parsing with validation, atomic writes, and the rules edit made by
 * `setStageDisabled`.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { GrayConfigError } from '../core/errors.js';
import type { GrayInstance, GrayServiceRules } from './types.js';
import { normalizeInstance, normalizeRuleMap, withStageDisabled } from './validate.js';

type Rules = Required<GrayServiceRules>;

/**
 * How a registry file's text becomes a document and back. JSON by default; pass YAML's
 * `parse` / `stringify` (from the `yaml` package) for a YAML registry file.
 */
export interface RegistryFileFormat {
  /** Name used in error messages, e.g. `'YAML'`. Default `'JSON'` for the built-in format, else `'the configured format'`. */
  readonly name?: string;
  /** Text → document. May throw on a syntax error (reported as `GrayConfigError`, last good state kept). */
  parse(text: string): unknown;
  /** Document → text; used by `setStageDisabled` to write the file back. */
  stringify(doc: unknown): string;
}

/** The built-in format: `JSON.parse`, and `JSON.stringify` with 2-space indentation and a final newline. */
export const JSON_FORMAT: RegistryFileFormat = {
  name: 'JSON',
  parse: (text) => JSON.parse(text) as unknown,
  stringify: (doc) => `${JSON.stringify(doc, null, 2)}\n`,
};

function parseDoc(text: string, file: string, format: RegistryFileFormat): unknown {
  try {
    return format.parse(text);
  } catch (e) {
    throw new GrayConfigError(`graylane: registry file ${file} is not valid ${format.name ?? 'in the configured format'}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

/** Parses and validates the file's text. Throws `GrayConfigError` naming the file and the bad entry. */
export function parseRegistryFile(
  text: string,
  file: string,
  format: RegistryFileFormat = JSON_FORMAT,
): { instances: GrayInstance[]; rules: ReadonlyMap<string, Rules> } {
  const doc = parseDoc(text, file, format);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new GrayConfigError(`graylane: registry file ${file} must hold an object { "instances": [...], "rules": {...} }.`);
  }
  const { instances = [], rules } = doc as { instances?: unknown; rules?: unknown };
  if (!Array.isArray(instances)) throw new GrayConfigError(`graylane: registry file ${file}: "instances" must be an array.`);
  try {
    return {
      instances: instances.map((inst, i) => normalizeInstance(inst, `instances[${i}]`)),
      rules: normalizeRuleMap(rules, 'rules'),
    };
  } catch (e) {
    throw new GrayConfigError(`${(e as Error).message.replace(/^graylane: /, `graylane: registry file ${file}: `)}`, { cause: e });
  }
}

/** Writes `text` to a temporary file beside `file` and renames it over `file` (readers never see a partial file). */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * The file's new text with `stage` added to / removed from `rules[service].disabledStages`; every
 * other field (unknown ones included) is kept. When the current text is broken, the change is
 * applied in memory only (through `getRules` / `setRules`) and an error is thrown: the file is not
 * overwritten with an older state.
 */
export function toggleStage(
  current: string,
  file: string,
  service: string,
  stage: string,
  disabled: boolean,
  getRules: () => Rules,
  setRules: (rules: Rules) => void,
  format: RegistryFileFormat = JSON_FORMAT,
): string {
  let doc: Record<string, unknown>;
  try {
    parseRegistryFile(current, file, format);
    doc = parseDoc(current, file, format) as Record<string, unknown>;
  } catch (e) {
    setRules(withStageDisabled(getRules(), stage, disabled));
    throw new GrayConfigError(
      `graylane: stage '${stage}' of '${service}' was ${disabled ? 'disabled' : 'enabled'} in this process only: registry file ${file} is currently invalid (${(e as Error).message}); fix the file and retry.`,
      { cause: e },
    );
  }
  const rules = (doc.rules ??= {}) as Record<string, Record<string, unknown>>;
  const entry = (rules[service] ??= {});
  const list = new Set(Array.isArray(entry.disabledStages) ? (entry.disabledStages as string[]) : []);
  if (disabled) list.add(stage);
  else list.delete(stage);
  entry.disabledStages = [...list];
  return format.stringify(doc);
}
