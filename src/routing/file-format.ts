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

/** Parses and validates the file's text. Throws `GrayConfigError` naming the file and the bad entry. */
export function parseRegistryFile(text: string, file: string): { instances: GrayInstance[]; rules: ReadonlyMap<string, Rules> } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new GrayConfigError(`graylane: registry file ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
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
): string {
  let doc: Record<string, unknown>;
  try {
    parseRegistryFile(current, file);
    doc = JSON.parse(current) as Record<string, unknown>;
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
  return `${JSON.stringify(doc, null, 2)}\n`;
}
