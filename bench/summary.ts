/**
 * Turns per-round measurements into the report: medians, paired per-round ratios against the
 * scenario's hand-written baseline with a bootstrap interval, CPU-profile shares per process, and
 * the targets with their verdicts (met / missed / unsettled).
 * @packageDocumentation
 */
import type { CellResult } from './chain.js';
import { SCENARIO_LABELS, type Hops, type Scenario } from './common.js';
import type { ProfileCounts } from './profile-share.js';
import { bootstrapMedian, median, pairedRatios, verdict, type Comparator, type Estimate, type Verdict } from './stats.js';

/** The hand-written baseline a scenario is compared with: nice-grpc by hand for the nice-grpc middleware, else `hand`. */
export function baselineOf(s: Scenario): Scenario | null {
  if (s === 'hand') return null;
  return s === 'nice-grpc' ? 'nice-hand' : 'hand';
}

export interface ScenarioSummary {
  readonly scenario: Scenario;
  readonly label: string;
  readonly rounds: number;
  readonly medians: { readonly p50Us: number | null; readonly p99Us: number | null; readonly throughput: number | null; readonly cpuUsPerCall: number | null };
  /** The scenario's baseline (see {@link baselineOf}). */
  readonly baseline: Scenario | null;
  /** Per-round CPU-per-call ratio to the baseline measured in the same round. */
  readonly cpuVsBaseline: Estimate | null;
  /** Per-round throughput ratio to the baseline (higher is better). */
  readonly throughputVsBaseline: Estimate | null;
  /** Per-round concurrency-1 p50 latency ratio to the baseline. */
  readonly p50VsBaseline: Estimate | null;
  /** Calls whose leaf saw another stage than the client sent; `null` for `raw`, which does not forward by design. */
  readonly lostTags: number | null;
  readonly errors: number;
  readonly calls: number;
  readonly firstError?: string;
}

export interface TopologySummary {
  readonly hops: Hops;
  readonly scenarios: readonly ScenarioSummary[];
}

/** Profile shares of one process of a chain, over the throughput windows (fractions, 0–1). */
export interface ProcessShare {
  /** `A`, `B`, `C` (the leaf) or `client`. */
  readonly role: string;
  /** Non-idle samples in all windows. */
  readonly samples: number;
  /** Share of samples in graylane's frames: per-round median and interval. */
  readonly graylane: Estimate;
  /** Share in async_hooks / AsyncLocalStorage / AsyncContextFrame machinery. */
  readonly asyncContext: Estimate;
  readonly gc: Estimate;
  readonly grpcJs: Estimate;
  /** Counts summed over all windows. */
  readonly pooled: ProfileCounts;
}

export interface ScenarioProfile {
  readonly scenario: Scenario;
  readonly hops: Hops;
  readonly processes: readonly ProcessShare[];
}

export interface AwaitCost {
  readonly off: { readonly awaitValueNs: number; readonly awaitAsyncCallNs: number };
  readonly on: { readonly awaitValueNs: number; readonly awaitAsyncCallNs: number };
  readonly ratioValue: number;
  readonly ratioAsyncCall: number;
}

/** bench/routing-cost.ts: routed vs direct channel in one process, CPU µs per call. */
export interface RoutingCost {
  readonly directUsPerCall: number;
  readonly routedUsPerCall: number;
  readonly addedUsPerCall: number;
  readonly addedMin: number;
  readonly addedMax: number;
  readonly rounds: number;
  readonly batch: number;
}

export interface Target {
  readonly id: string;
  readonly description: string;
  readonly estimate: Estimate | null;
  readonly comparator: Comparator;
  readonly bar: number;
  readonly unit: string;
  readonly verdict: Verdict;
  /** Shown as value × scale (e.g. 100 for a share in %). Default 1. */
  readonly scale?: number;
  readonly note?: string;
}

/** Measurements of one topology: `cells[scenario][round]`. */
export type Cells = Partial<Record<Scenario, CellResult[]>>;

function ratio(list: readonly CellResult[], base: readonly CellResult[] | undefined, f: (c: CellResult) => number): Estimate | null {
  if (base === undefined || base.length === 0) return null;
  return bootstrapMedian(pairedRatios(list.map(f), base.map(f)));
}

export function summarizeTopology(hops: Hops, scenarios: readonly Scenario[], cells: Cells): TopologySummary {
  const out: ScenarioSummary[] = [];
  for (const s of scenarios) {
    const list = cells[s] ?? [];
    if (list.length === 0) continue;
    const firstError = list.find((c) => c.firstError !== undefined)?.firstError;
    const baseline = baselineOf(s);
    const base = baseline === null ? undefined : cells[baseline];
    out.push({
      scenario: s,
      label: SCENARIO_LABELS[s],
      rounds: list.length,
      medians: {
        p50Us: median(list.map((c) => c.p50Us)),
        p99Us: median(list.map((c) => c.p99Us)),
        throughput: median(list.map((c) => c.throughput)),
        cpuUsPerCall: median(list.map((c) => c.cpuUsPerCall)),
      },
      baseline: base === undefined ? null : baseline,
      cpuVsBaseline: ratio(list, base, (c) => c.cpuUsPerCall),
      throughputVsBaseline: ratio(list, base, (c) => c.throughput),
      p50VsBaseline: ratio(list, base, (c) => c.p50Us),
      lostTags: s === 'raw' ? null : list.reduce((n, c) => n + c.lostTags, 0),
      errors: list.reduce((n, c) => n + c.errors, 0),
      calls: list.reduce((n, c) => n + c.throughputCalls + c.latencyCalls, 0),
      ...(firstError === undefined ? {} : { firstError }),
    });
  }
  return { hops, scenarios: out };
}

/** Shares of one process from its per-round window counts. */
export function summarizeShares(role: string, rounds: readonly ProfileCounts[]): ProcessShare {
  const share = (f: (c: ProfileCounts) => number): Estimate => bootstrapMedian(rounds.map((c) => (c.samples > 0 ? f(c) / c.samples : NaN)));
  const pooled = rounds.reduce<ProfileCounts>((a, c) => ({ samples: a.samples + c.samples, graylane: a.graylane + c.graylane, asyncContext: a.asyncContext + c.asyncContext, gc: a.gc + c.gc, grpcJs: a.grpcJs + c.grpcJs }),
    { samples: 0, graylane: 0, asyncContext: 0, gc: 0, grpcJs: 0 });
  return { role, samples: pooled.samples, graylane: share((c) => c.graylane), asyncContext: share((c) => c.asyncContext), gc: share((c) => c.gc), grpcJs: share((c) => c.grpcJs), pooled };
}

/** The bars of the issue for a Node major: [Node 24/26, Node 20 (and 22)]. */
export function barFor(major: number, strict: number, loose: number): number {
  return major >= 24 ? strict : loose;
}

/** Combines per-hop verdicts of one bar: met when every hop meets it, missed when any misses it. */
function allHops(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.length === 0 || verdicts.includes('n/a')) return 'n/a';
  if (verdicts.includes('missed')) return 'missed';
  return verdicts.every((v) => v === 'met') ? 'met' : 'unsettled';
}

/** The targets on one runtime (3-hop chain; the profile share on every hop of the chain). */
export function evaluateTargets(major: number, top: TopologySummary | undefined, profiles: readonly ScenarioProfile[] | null): Target[] {
  const targets: Target[] = [];
  const line = major >= 24 ? 'Node 24/26 bar' : 'Node 20 bar';
  const cpu = (s: Scenario): Estimate | null => top?.scenarios.find((x) => x.scenario === s)?.cpuVsBaseline ?? null;
  const push = (id: string, description: string, estimate: Estimate | null, comparator: Comparator, bar: number, unit: string, extra: Partial<Target> = {}): void => {
    targets.push({ id, description, estimate, comparator, bar, unit, verdict: verdict(estimate, comparator, bar), ...extra });
  };
  push('propagation-cpu', `propagation (grayServerInterceptor + grayClientInterceptor): 3-hop CPU per call ÷ hand-written (${line})`, cpu('graylane'), '<=', barFor(major, 1.03, 1.1), '×');
  push('full-stack-cpu', `full stack (context, metrics, hop trace, rollback guard, routing): 3-hop CPU per call ÷ hand-written (${line})`, cpu('full'), '<=', barFor(major, 1.1, 1.2), '×');
  push('fused-stack-cpu', `full stack with the composers (grayGrpcServerStack / grayGrpcClientStack, one fused interceptor per side): 3-hop CPU per call ÷ hand-written (${line})`, cpu('fused'), '<=', barFor(major, 1.1, 1.2), '×');
  push('nice-grpc-cpu', `nice-grpc middleware: 3-hop CPU per call ÷ nice-grpc by hand (${line})`, cpu('nice-grpc'), '<=', barFor(major, 1.03, 1.1), '×');
  for (const [scenario, id, label] of [['graylane', 'propagation-profile', 'propagation'], ['full', 'full-stack-profile', 'full stack (informative, same bar)'], ['nice-grpc', 'nice-grpc-profile', 'nice-grpc middleware (informative, same bar)']] as const) {
    const prof = profiles?.find((p) => p.scenario === scenario && p.hops === 3) ?? profiles?.find((p) => p.scenario === scenario);
    const hops = prof?.processes.filter((p) => p.role !== 'client') ?? [];
    if (hops.length === 0) continue;
    const worst = hops.reduce((a, b) => ((b.graylane.value ?? -1) > (a.graylane.value ?? -1) ? b : a));
    const v = allHops(hops.map((h) => verdict(h.graylane, '<=', 0.02)));
    targets.push({
      id, description: `${label}: share of CPU-profile samples in graylane's frames, every hop (${major >= 24 ? 'target set for Node 24' : 'informative on this Node; the target is for Node 24'})`,
      estimate: worst.graylane, comparator: '<=', bar: 0.02, unit: '%', scale: 100,
      verdict: major >= 24 ? v : 'n/a', note: `highest hop: ${worst.role}`,
    });
  }
  const full = cpu('full');
  const fused = cpu('fused');
  const handRouted = cpu('hand-routed');
  // The same stacks against hand-written code that routes too: `full` sends each stage to its own
  // instance of the next hop (3 connections per client instead of 1), which `hand` does not.
  for (const [scenario, estimate] of [['full', full], ['fused', fused]] as const) {
    if (estimate?.values === undefined || handRouted?.values === undefined) continue;
    push(`${scenario}-stack-cpu-vs-routed`, `${scenario === 'full' ? 'full stack' : 'full stack with the composers'}: 3-hop CPU per call ÷ hand-written forwarding AND routing (hand-routed: one client per stage instance, the same connections) (${line})`,
      bootstrapMedian(pairedRatios(estimate.values, handRouted.values)), '<=', barFor(major, 1.1, 1.2), '×');
  }
  if (handRouted !== null) push('routed-over-hand', 'hand-routed ÷ hand: what sending each stage to its own instance costs without graylane, 3-hop (informative)', handRouted, '<=', 1, '×');
  if (full !== null && fused !== null && full.values !== undefined && fused.values !== undefined) {
    push('fused-over-full', 'full stack fused by the composers ÷ the same stack as single interceptors, CPU per call, 3-hop (informative: what fusing saves)', bootstrapMedian(pairedRatios(fused.values, full.values)), '<=', 1, '×');
  }
  const otel = cpu('otel-off');
  const gray = cpu('graylane');
  if (otel !== null && gray !== null && otel.values !== undefined && gray.values !== undefined) {
    push('otel-over-graylane', 'OpenTelemetry baggage (sampler off) CPU ÷ graylane propagation CPU, 3-hop (informative; issue 8 bar)', bootstrapMedian(pairedRatios(otel.values, gray.values)), '>=', 1.45, '×');
  }
  return targets;
}
