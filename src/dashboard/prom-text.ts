/**
 * A small, linear parser of the Prometheus text exposition format (version 0.0.4), enough to read
 * graylane's per-stage counters and histograms from a service's `/metrics`.
 * @packageDocumentation
 */

/** One sample line: metric name, labels (null-prototype object) and value. */
export interface PromSample {
  /** Metric name as written on the line, e.g. `grpc_server_handling_seconds_bucket`. */
  readonly name: string;
  /** Label values by label name; a null-prototype object (label names come from the scraped text). */
  readonly labels: Readonly<Record<string, string>>;
  /** The sample value (`NaN`, `+Inf` and `-Inf` included). */
  readonly value: number;
}

/** Options of {@link parsePrometheusText}. */
export interface PromParseOptions {
  /** Keep only samples whose name is in this set. Default: every sample. */
  readonly names?: ReadonlySet<string>;
  /** Stop after this many kept samples. Default `100_000`. */
  readonly maxSamples?: number;
  /** Skip samples with more labels than this. Default `32`. */
  readonly maxLabels?: number;
}

const NAME_START = /[A-Za-z_:]/;
const NAME_CHAR = /[A-Za-z0-9_:]/;

function parseValue(token: string): number {
  if (token === '+Inf' || token === 'Inf') return Infinity;
  if (token === '-Inf') return -Infinity;
  if (token === 'NaN') return NaN;
  return token === '' ? NaN : Number(token);
}

/**
 * Parses one line; `undefined` for comments, blank or malformed lines. Every character is looked at
 * a bounded number of times, so the work is linear in the line's length.
 */
function parseLine(line: string, options: PromParseOptions): PromSample | undefined {
  let i = 0;
  const n = line.length;
  while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
  if (i >= n || line[i] === '#' || !NAME_START.test(line[i]!)) return undefined;
  const start = i;
  while (i < n && NAME_CHAR.test(line[i]!)) i++;
  const name = line.slice(start, i);
  if (options.names !== undefined && !options.names.has(name)) return undefined;
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (i < n && (line[i] === ' ' || line[i] === ',')) i++;
      if (i >= n) return undefined;
      if (line[i] === '}') {
        i++;
        break;
      }
      const keyStart = i;
      while (i < n && NAME_CHAR.test(line[i]!)) i++;
      const key = line.slice(keyStart, i);
      while (i < n && line[i] === ' ') i++;
      if (key === '' || line[i] !== '=') return undefined;
      i++;
      while (i < n && line[i] === ' ') i++;
      if (line[i] !== '"') return undefined;
      i++;
      let value = '';
      let closed = false;
      while (i < n) {
        const c = line[i]!;
        if (c === '\\' && i + 1 < n) {
          const e = line[i + 1]!;
          value += e === 'n' ? '\n' : e;
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) return undefined;
      if (++count > (options.maxLabels ?? 32)) return undefined;
      labels[key] = value;
    }
  }
  while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
  let end = i;
  while (end < n && line[end] !== ' ' && line[end] !== '\t') end++;
  const value = parseValue(line.slice(i, end));
  if (Number.isNaN(value) && line.slice(i, end) !== 'NaN') return undefined;
  return { name, labels, value };
}

/** Parses Prometheus text; malformed lines are skipped, never thrown on. */
export function parsePrometheusText(text: string, options: PromParseOptions = {}): PromSample[] {
  const max = options.maxSamples ?? 100_000;
  const out: PromSample[] = [];
  let from = 0;
  while (from <= text.length && out.length < max) {
    let to = text.indexOf('\n', from);
    if (to < 0) to = text.length;
    const line = text.charCodeAt(to - 1) === 13 ? text.slice(from, to - 1) : text.slice(from, to);
    const sample = parseLine(line, options);
    if (sample !== undefined) out.push(sample);
    from = to + 1;
  }
  return out;
}
