/**
 * A minimal YAML writer for the rule documents graylane generates (maps, lists, strings, numbers,
 * booleans): block style, every string double-quoted, so no value is ever read back as another type.
 * @packageDocumentation
 */

/** A value {@link toYaml} can write. */
export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [key: string]: YamlValue | undefined };

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('toYaml: numbers must be finite');
  return String(value);
}

const key = (k: string): string => (PLAIN_KEY.test(k) ? k : JSON.stringify(k));

function isEmpty(value: YamlValue): boolean {
  return typeof value === 'object' && value !== null && (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0);
}

function lines(value: YamlValue, indent: string, out: string[], prefix: string): void {
  if (typeof value !== 'object' || value === null || isEmpty(value)) {
    const text = typeof value === 'object' && value !== null ? (Array.isArray(value) ? '[]' : '{}') : scalar(value);
    out.push(`${prefix}${text}`);
    return;
  }
  if (Array.isArray(value)) {
    (value as readonly YamlValue[]).forEach((item) => {
      if (typeof item === 'object' && item !== null && !isEmpty(item)) {
        const first: string[] = [];
        lines(item, `${indent}  `, first, '');
        out.push(`${indent}- ${first[0]!.trimStart()}`, ...first.slice(1));
      } else {
        lines(item, indent, out, `${indent}- `);
      }
    });
    return;
  }
  const entries = Object.entries(value as Record<string, YamlValue | undefined>).filter(([, v]) => v !== undefined) as Array<[string, YamlValue]>;
  entries.forEach(([k, v], i) => {
    const head = i === 0 && prefix !== '' ? prefix : indent;
    if (typeof v === 'object' && v !== null && !isEmpty(v)) {
      out.push(`${head}${key(k)}:`);
      lines(v, Array.isArray(v) ? indent : `${indent}  `, out, '');
    } else {
      lines(v, indent, out, `${head}${key(k)}: `);
    }
  });
}

/** Writes `value` as a YAML document (ending with a newline). */
export function toYaml(value: YamlValue): string {
  const out: string[] = [];
  lines(value, '', out, '');
  return `${out.join('\n')}\n`;
}
