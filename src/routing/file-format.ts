/**
 * The registry file format: parsing with validation, and the rules edit made by
 * `setStageDisabled`. Errors never quote the file's content.
 * @packageDocumentation
 */
import { GrayConfigError } from '../core/errors.js';
import type { GrayInstance, GrayServiceRules } from './types.js';
import { normalizeInstance, normalizeRuleMap, requireDistinctAddresses, withStageDisabled } from './validate.js';

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

/**
 * Where a parser says it failed, as `line L, column C` — and nothing else from its message: parser
 * messages quote the text (`Unexpected token 'r', "root:x:0:0"...`, YAML's code frame), and the
 * path may point at a file that must not reach a log (a symlink to a system file).
 */
function locate(error: unknown, text: string): string {
  const message = String((error as Error)?.message ?? '').split('\n')[0]!;
  const lineColumn = /line (\d{1,9}),? column (\d{1,9})/i.exec(message);
  if (lineColumn !== null) return ` at line ${lineColumn[1]}, column ${lineColumn[2]}`;
  const position = /position (\d{1,12})/i.exec(message);
  if (position !== null) {
    const before = text.slice(0, Number(position[1]));
    const line = before.split('\n').length;
    return ` at line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
  }
  if (/end of (json )?input|unexpected end/i.test(message)) return ' (it ends too early)';
  return '';
}

function parseDoc(text: string, file: string, format: RegistryFileFormat): unknown {
  try {
    return format.parse(text);
  } catch (e) {
    // No `cause`: the parser's error quotes the content, and loggers print causes.
    throw new GrayConfigError(`graylane: registry file ${file} is not valid ${format.name ?? 'in the configured format'}${locate(e, text)}; the parser's message is not shown because it quotes the file.`);
  }
}

function own(doc: object, key: string): unknown {
  return Object.hasOwn(doc, key) ? (doc as Record<string, unknown>)[key] : undefined;
}

/** Parses and validates the file's text. Throws `GrayConfigError` naming the file and the bad entry. */
export function parseRegistryFile(
  text: string,
  file: string,
  format: RegistryFileFormat = JSON_FORMAT,
): { instances: GrayInstance[]; rules: ReadonlyMap<string, Rules>; rollouts: ReadonlyMap<string, unknown> | undefined } {
  const doc = parseDoc(text, file, format);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new GrayConfigError(`graylane: registry file ${file} must hold an object { "instances": [...], "rules": {...} }.`);
  }
  const instances = own(doc, 'instances') ?? [];
  if (!Array.isArray(instances)) throw new GrayConfigError(`graylane: registry file ${file}: "instances" must be an array.`);
  try {
    const list = instances.map((inst, i) => normalizeInstance(inst, `instances[${i}]`));
    requireDistinctAddresses(list, 'instances');
    return { instances: list, rules: normalizeRuleMap(own(doc, 'rules'), 'rules'), rollouts: rolloutSection(own(doc, 'rollouts')) };
  } catch (e) {
    throw new GrayConfigError(`${(e as Error).message.replace(/^graylane: /, `graylane: registry file ${file}: `)}`, { cause: e });
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
  let doc: object;
  try {
    parseRegistryFile(current, file, format);
    doc = parseDoc(current, file, format) as object;
  } catch (e) {
    setRules(withStageDisabled(getRules(), stage, disabled));
    throw new GrayConfigError(
      `graylane: stage '${stage}' of '${service}' was ${disabled ? 'disabled' : 'enabled'} in this process only: registry file ${file} is currently invalid (${(e as Error).message}); fix the file and retry.`,
      { cause: e },
    );
  }
  // Rebuilt as null-prototype copies: `service` is a key from the caller and the file, and must
  // never be looked up on, or written into, a plain object's prototype chain.
  const rules = copy(own(doc, 'rules'));
  const entry = copy(own(rules, service));
  const list = new Set(Array.isArray(entry.disabledStages) ? (entry.disabledStages as string[]) : []);
  if (disabled) list.add(stage);
  else list.delete(stage);
  entry.disabledStages = [...list];
  rules[service] = entry;
  const next = copy(doc);
  next.rules = rules;
  return format.stringify(next);
}

/**
 * The raw `"rollouts"` section as a map (each record is validated by the registry, one by one, so a
 * corrupted record never blocks instance updates); `undefined` when the section is not an object.
 */
function rolloutSection(raw: unknown): ReadonlyMap<string, unknown> | undefined {
  const out = new Map<string, unknown>();
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  for (const [name, record] of Object.entries(raw)) out.set(name, record);
  return out;
}

/**
 * The file's new text with `rollouts[name]` set to `record`; every other field is kept. Throws
 * `GrayConfigError` when the current text is invalid (the file is not overwritten with an older state).
 */
export function withRollout(current: string, file: string, name: string, record: object, format: RegistryFileFormat = JSON_FORMAT): string {
  parseRegistryFile(current, file, format);
  const doc = parseDoc(current, file, format) as object;
  const rollouts = copy(own(doc, 'rollouts'));
  rollouts[name] = record;
  const next = copy(doc);
  next.rollouts = rollouts;
  return format.stringify(next);
}

function copy(value: unknown): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) out[k] = v;
  }
  return out;
}
