/**
 * Rates over a sliding window of scrapes: the counts between the oldest and newest reading of a
 * source (a counter that went down — a restart — counts from zero), and p99 from histogram buckets.
 * @packageDocumentation
 */
import type { Reading, StageCounts } from './scrape.js';

/** Counts of a window: per key and stage, the calls, failures and buckets gained over `seconds`. */
export interface WindowCounts {
  /** Length of the window in seconds. */
  readonly seconds: number;
  /** Served calls gained: key → stage → counts. */
  readonly served: Map<string, Map<string, StageCounts>>;
  /** Outgoing calls gained: callee → stage → counts. */
  readonly called: Map<string, Map<string, StageCounts>>;
}

const gain = (now: number, before: number | undefined): number => (before === undefined || now < before ? now : now - before);

function diff(newer: Map<string, Map<string, StageCounts>>, older: Map<string, Map<string, StageCounts>>): Map<string, Map<string, StageCounts>> {
  const out = new Map<string, Map<string, StageCounts>>();
  for (const [key, stages] of newer) {
    const byStage = new Map<string, StageCounts>();
    for (const [stage, c] of stages) {
      const o = older.get(key)?.get(stage);
      const reset = o !== undefined && c.total < o.total;
      const buckets = new Map<number, number>();
      for (const [le, v] of c.buckets) buckets.set(le, reset ? v : gain(v, o?.buckets.get(le)));
      byStage.set(stage, { total: reset ? c.total : gain(c.total, o?.total), errors: reset ? c.errors : gain(c.errors, o?.errors), buckets });
    }
    out.set(key, byStage);
  }
  return out;
}

/** The counts gained from the oldest to the newest reading; `undefined` with fewer than two. */
export function windowCounts(readings: readonly Reading[]): WindowCounts | undefined {
  if (readings.length < 2) return undefined;
  const oldest = readings[0]!;
  const newest = readings[readings.length - 1]!;
  const seconds = (newest.at - oldest.at) / 1000;
  if (!(seconds > 0)) return undefined;
  return { seconds, served: diff(newest.served, oldest.served), called: diff(newest.called, oldest.called) };
}

/** Adds `from` into `into` (calls, failures, buckets). */
export function addCounts(into: StageCounts, from: StageCounts): void {
  into.total += from.total;
  into.errors += from.errors;
  for (const [le, v] of from.buckets) into.buckets.set(le, (into.buckets.get(le) ?? 0) + v);
}

/**
 * The 99th percentile in ms from cumulative buckets, interpolated inside the bucket as Prometheus's
 * `histogram_quantile` does; `undefined` without observations. Past the last finite bound it is
 * that bound.
 */
export function p99Ms(buckets: ReadonlyMap<number, number>): number | undefined {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.length > 0 ? sorted[sorted.length - 1]![1] : 0;
  if (!(total > 0)) return undefined;
  const rank = 0.99 * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return lowerBound * 1000;
      const inBucket = count - lowerCount;
      const share = inBucket > 0 ? (rank - lowerCount) / inBucket : 1;
      return (lowerBound + (le - lowerBound) * share) * 1000;
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound * 1000;
}
