/**
 * PromQL building blocks for the generated rules: validated label names, escaped label matchers,
 * durations. Everything here runs on operator configuration, never on request input.
 * @packageDocumentation
 */
import { GrayConfigError } from '../core/errors.js';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;
const DURATION = /^[1-9][0-9]{0,5}(ms|s|m|h|d|w)$/;
const ZERO_OR_DURATION = /^(0|0s|[1-9][0-9]{0,5}(ms|s|m|h|d|w))$/;

/** Throws unless `name` is a Prometheus label name (not a reserved `__` name). */
export function requireLabelName(name: unknown, where: string): string {
  if (typeof name !== 'string' || !LABEL_NAME.test(name) || name.startsWith('__')) {
    throw new GrayConfigError(`graylane/ops: ${where}: ${JSON.stringify(name)} is not a Prometheus label name; use [a-zA-Z_][a-zA-Z0-9_]* (not starting with '__').`);
  }
  return name;
}

/** Throws unless `value` is a PromQL duration such as `'30s'`, `'1m'`, `'2h'` (`allowZero`: also `'0s'`). */
export function requireDuration(value: unknown, where: string, allowZero = false): string {
  if (typeof value !== 'string' || !(allowZero ? ZERO_OR_DURATION : DURATION).test(value)) {
    throw new GrayConfigError(`graylane/ops: ${where} ${JSON.stringify(value)} must be a duration with one unit, e.g. '30s', '1m', '2h'${allowZero ? " (or '0s')" : ''}.`);
  }
  return value;
}

/** A PromQL / YAML double-quoted string: JSON escaping is valid in both. */
export function quoted(value: string): string {
  return JSON.stringify(value);
}

/** One equality matcher per entry, in the given order, e.g. `job="orders",release_stage="canary"`. */
export function matchers(labels: ReadonlyArray<readonly [string, string]>): string {
  return labels.map(([k, v]) => `${k}=${quoted(v)}`).join(',');
}

/** Renders a number for PromQL: plain decimal, never exponent notation. */
export function promNumber(value: number): string {
  const text = String(value);
  return /e/i.test(text) ? value.toFixed(12).replace(/0+$/, '').replace(/\.$/, '') : text;
}
