/**
 * The statistics the harness reports: medians, paired per-round ratios, a seeded bootstrap 95 %
 * interval of their median, and the verdict of a bar judged on that interval (met / missed /
 * unsettled — never claimed from a median alone).
 * @packageDocumentation
 */

/** Median with the smallest and largest value; `null` fields when there is no finite sample. */
export interface Spread {
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly n: number;
}

/** A figure summarised over rounds (or samples): its value, a bootstrap interval, and the inputs. */
export interface Estimate {
  /** The statistic over all values (the median, or the quantile asked for); `null` without samples. */
  readonly value: number | null;
  /** Lower end of the bootstrap interval of the statistic. */
  readonly lo: number | null;
  /** Upper end of the bootstrap interval of the statistic. */
  readonly hi: number | null;
  readonly n: number;
  /** The inputs, in order (per-round values; omitted for long sample lists). */
  readonly values?: readonly number[];
}

/** How a bar reads a value: at most (`<=`) or at least (`>=`). */
export type Comparator = '<=' | '>=';
/** met: the whole interval is on the right side of the bar; missed: the whole interval on the wrong side. */
export type Verdict = 'met' | 'missed' | 'unsettled' | 'n/a';

/** Fewest rounds a verdict is given for: with fewer, a resampled median is not a spread. */
export const MIN_ROUNDS_FOR_VERDICT = 3;

export function median(values: readonly number[]): number | null {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export function spread(values: readonly number[]): Spread {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return { median: null, min: null, max: null, n: 0 };
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/** Per-round ratios `a[i] / b[i]` (pairs with a missing or zero side are skipped). */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isFinite(x) && Number.isFinite(y) && y !== 0) out.push(x / y);
  }
  return out;
}

/** Per-round differences `a[i] - b[i]`. */
export function pairedDiffs(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isFinite(x) && Number.isFinite(y)) out.push(x - y);
  }
  return out;
}

/** mulberry32: a small seeded PRNG, so the same rounds always give the same interval. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BootstrapOptions {
  /** Resamples. Default 10,000. */
  readonly iterations?: number;
  /** Coverage of the interval. Default 0.95. */
  readonly level?: number;
  /** PRNG seed. Default 0x5eed. */
  readonly seed?: number;
  /** Keep the inputs in the result's `values`. Default `true`. */
  readonly keepValues?: boolean;
}

/** Quantile `q` of sorted values: the median (mean of the middle two) for 0.5, nearest rank otherwise. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (q === 0.5) {
    const mid = n >> 1;
    return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
}

/**
 * Percentile bootstrap interval of quantile `q` (0.5: the median): resample the values with
 * replacement `iterations` times, take each resample's quantile, and return the `(1 − level) / 2`
 * and `(1 + level) / 2` quantiles of those (nearest rank). Seeded, so deterministic.
 */
export function bootstrapQuantile(values: readonly number[], q: number, options: BootstrapOptions = {}): Estimate {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  const kept = options.keepValues === false ? {} : { values: [...values] };
  if (n === 0) return { value: null, lo: null, hi: null, n: 0, ...kept };
  const iterations = options.iterations ?? 10_000;
  const level = options.level ?? 0.95;
  const rand = prng(options.seed ?? 0x5eed);
  const stats = new Float64Array(iterations);
  const sample = new Float64Array(n);
  for (let b = 0; b < iterations; b++) {
    for (let i = 0; i < n; i++) sample[i] = v[Math.floor(rand() * n)]!;
    sample.sort();
    stats[b] = quantileSorted(sample, q);
  }
  stats.sort();
  const sorted = Float64Array.from(v).sort();
  return { value: quantileSorted(sorted, q), lo: quantileSorted(stats, (1 - level) / 2), hi: quantileSorted(stats, (1 + level) / 2), n, ...kept };
}

/** {@link bootstrapQuantile} of the median: the figure every per-round ratio is reported as. */
export function bootstrapMedian(values: readonly number[], options: BootstrapOptions = {}): Estimate {
  return bootstrapQuantile(values, 0.5, options);
}

/**
 * The verdict of a bar on an interval: for `<=`, met when `hi <= bar`, missed when `lo > bar`;
 * for `>=`, met when `lo >= bar`, missed when `hi < bar`; unsettled otherwise, and whenever
 * fewer than {@link MIN_ROUNDS_FOR_VERDICT} rounds are behind the interval; `n/a` without data.
 */
export function verdict(estimate: Pick<Estimate, 'lo' | 'hi' | 'n'> | null, comparator: Comparator, bar: number): Verdict {
  if (estimate === null || estimate.lo === null || estimate.hi === null || estimate.n === 0) return 'n/a';
  if (estimate.n < MIN_ROUNDS_FOR_VERDICT) return 'unsettled';
  if (comparator === '<=') return estimate.hi <= bar ? 'met' : estimate.lo > bar ? 'missed' : 'unsettled';
  return estimate.lo >= bar ? 'met' : estimate.hi < bar ? 'missed' : 'unsettled';
}

/** Rounds for display: `1.234` → `'1.23'`; null → `'–'`. */
export function fmt(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** `median (min–max)` of a spread. */
export function fmtSpread(s: Spread | null | undefined, digits = 2): string {
  if (s === null || s === undefined || s.median === null) return '–';
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

/** `value [lo, hi]` of an estimate, each multiplied by `scale`. */
export function fmtEstimate(e: Estimate | null | undefined, digits = 2, scale = 1): string {
  if (e === null || e === undefined || e.value === null) return '–';
  return `${fmt(e.value * scale, digits)} [${fmt(e.lo! * scale, digits)}, ${fmt(e.hi! * scale, digits)}]`;
}
