/**
 * The few statistics the harness reports: medians, and median with range of per-repetition ratios.
 * @packageDocumentation
 */

/** Median with the smallest and largest value; `null` fields when there is no finite sample. */
export interface Spread {
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly n: number;
}

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

/** Per-repetition ratios `a[i] / b[i]` (pairs with a missing or zero side are skipped). */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isFinite(x) && Number.isFinite(y) && y !== 0) out.push(x / y);
  }
  return out;
}

/** Per-repetition differences `a[i] - b[i]`. */
export function pairedDiffs(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isFinite(x) && Number.isFinite(y)) out.push(x - y);
  }
  return out;
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
