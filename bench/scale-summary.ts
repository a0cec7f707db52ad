/**
 * The scale bench's report: balancer pick cost per fleet size and registry cost at 10,000
 * instances, each target with its verdict.
 * @packageDocumentation
 */
import { bootstrapMedian, bootstrapQuantile, pairedRatios, verdict, type Estimate } from './stats.js';
import type { Target } from './summary.js';

/** What bench/scale-pick.ts prints. */
export interface PickRaw {
  readonly node: string;
  readonly sizes: readonly number[];
  readonly rounds: number;
  readonly batch: number;
  readonly connectMs: number;
  /** `'<size>|<kind>'` → ns per pick, one value per round. */
  readonly nsPerPick: Record<string, number[]>;
}

/** What bench/scale-registry.ts prints. */
export interface RegistryRaw {
  readonly kind: 'file' | 'etcd';
  readonly node: string;
  readonly services: number;
  readonly instances: number;
  readonly loadMs: number;
  readonly heapDeltaBytes: number;
  readonly rssDeltaBytes: number;
  readonly changes: number;
  readonly lost: number;
  readonly latenciesMs: readonly number[];
}

export interface PickRow {
  readonly size: number;
  readonly kind: string;
  readonly nsPerPick: Estimate;
  /** Per-round ratio to the same kind at the smallest size (1.00 = flat). */
  readonly vsSmallest: Estimate | null;
}

export interface RegistryRow {
  readonly kind: 'file' | 'etcd';
  readonly services: number;
  readonly instances: number;
  readonly loadMs: number;
  readonly heapDeltaMb: number;
  readonly rssDeltaMb: number;
  readonly changes: number;
  /** Changes not seen within 5 s (counted as 5 s in the percentiles). */
  readonly lost: number;
  readonly p50Ms: Estimate;
  readonly p99Ms: Estimate;
}

export interface ScaleReport {
  readonly tool: 'graylane-bench-scale';
  readonly schema: 1;
  readonly date: string;
  readonly mode: 'full' | 'quick' | 'custom';
  readonly command: string;
  readonly node: string;
  readonly source: string;
  readonly grpcJs: string;
  readonly cpuModel: string;
  readonly nproc: number;
  readonly loadAvgAtStart: readonly number[];
  readonly pick: { readonly rows: readonly PickRow[]; readonly rounds: number; readonly batch: number; readonly connectMs: number } | null;
  readonly registries: readonly RegistryRow[];
  readonly skipped: readonly string[];
  readonly targets: readonly Target[];
  readonly durationSec: number;
}

/** A timed-out change counts as this many ms (a lower bound of its latency). */
export const LOST_CHANGE_MS = 5_000;

export function summarizePick(raw: PickRaw): { rows: PickRow[]; targets: Target[] } {
  const kinds = [...new Set(Object.keys(raw.nsPerPick).map((k) => k.split('|')[1]!))];
  const smallest = Math.min(...raw.sizes);
  const rows: PickRow[] = [];
  for (const size of raw.sizes) {
    for (const kind of kinds) {
      const v = raw.nsPerPick[`${size}|${kind}`] ?? [];
      const base = raw.nsPerPick[`${smallest}|${kind}`] ?? [];
      rows.push({ size, kind, nsPerPick: bootstrapMedian(v), vsSmallest: size === smallest ? null : bootstrapMedian(pairedRatios(v, base)) });
    }
  }
  const targets: Target[] = raw.sizes.map((size) => {
    const mine = rows.filter((r) => r.size === size && r.kind.startsWith('graylane'));
    const worst = mine.reduce((a, b) => ((b.nsPerPick.value ?? 0) > (a.nsPerPick.value ?? 0) ? b : a));
    return {
      id: `pick-${size}`, description: `balancer pick, ${size.toLocaleString('en-US')} instance${size === 1 ? '' : 's'} per stage (slower of canary / untagged)`,
      estimate: worst.nsPerPick, comparator: '<=', bar: 1000, unit: 'ns', verdict: verdict(worst.nsPerPick, '<=', 1000), note: worst.kind,
    } satisfies Target;
  });
  return { rows, targets };
}

export function summarizeRegistry(raw: RegistryRaw): { row: RegistryRow; targets: Target[] } {
  const values = [...raw.latenciesMs, ...Array.from({ length: raw.lost }, () => LOST_CHANGE_MS)];
  const row: RegistryRow = {
    kind: raw.kind, services: raw.services, instances: raw.instances, loadMs: raw.loadMs,
    heapDeltaMb: raw.heapDeltaBytes / 2 ** 20, rssDeltaMb: raw.rssDeltaBytes / 2 ** 20, changes: raw.changes, lost: raw.lost,
    p50Ms: bootstrapQuantile(values, 0.5, { keepValues: false }), p99Ms: bootstrapQuantile(values, 0.99, { keepValues: false }),
  };
  const heap: Estimate = { value: row.heapDeltaMb, lo: row.heapDeltaMb, hi: row.heapDeltaMb, n: 1 };
  return {
    row,
    targets: [
      {
        id: `${raw.kind}-heap`, description: `${raw.kind} registry, ${raw.instances.toLocaleString('en-US')} instances / ${raw.services.toLocaleString('en-US')} services, watched: heap added (one measurement, after GC)`,
        estimate: heap, comparator: '<=', bar: 100, unit: 'MB', verdict: row.heapDeltaMb <= 100 ? 'met' : 'missed',
      },
      {
        id: `${raw.kind}-change-p99`, description: `${raw.kind} registry: write → watchService listener, p99 of ${raw.changes} changes with ${raw.services.toLocaleString('en-US')} watched services`,
        estimate: row.p99Ms, comparator: '<=', bar: 200, unit: 'ms', verdict: verdict(row.p99Ms, '<=', 200), ...(raw.lost > 0 ? { note: `${raw.lost} changes not seen within 5 s` } : {}),
      },
    ],
  };
}
