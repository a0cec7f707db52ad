/**
 * Turns per-repetition measurements into the report: medians, paired ratios against `hand` and
 * `raw` (median and range), and the targets marked met / missed.
 * @packageDocumentation
 */
import type { CellResult } from './chain.js';
import { SCENARIO_LABELS, type Hops, type Scenario } from './common.js';
import type { MicroResult } from './micro.js';
import { median, pairedDiffs, pairedRatios, spread, type Spread } from './stats.js';

export interface Ratios {
  readonly throughput: Spread;
  readonly cpuPerCall: Spread;
  readonly p50: Spread;
  readonly p99: Spread;
}

export interface ScenarioSummary {
  readonly scenario: Scenario;
  readonly label: string;
  readonly reps: number;
  readonly medians: { readonly p50Us: number | null; readonly p99Us: number | null; readonly throughput: number | null; readonly cpuUsPerCall: number | null };
  readonly vsHand: Ratios | null;
  readonly vsRaw: Ratios | null;
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
  readonly value: number | null;
  readonly range: Spread | null;
  readonly comparator: '>=' | '<=';
  readonly threshold: number;
  readonly unit: string;
  readonly status: 'met' | 'missed' | 'n/a';
  /** The min–max range of the per-repetition values lies on both sides of the bar: the verdict is not settled. */
  readonly rangeCrossesBar: boolean;
  readonly note?: string;
}

/** Measurements of one topology: `cells[scenario][rep]`. */
export type Cells = Partial<Record<Scenario, CellResult[]>>;

function ratios(a: readonly CellResult[], b: readonly CellResult[] | undefined): Ratios | null {
  if (b === undefined || b.length === 0) return null;
  const r = (f: (c: CellResult) => number): Spread => spread(pairedRatios(a.map(f), b.map(f)));
  return { throughput: r((c) => c.throughput), cpuPerCall: r((c) => c.cpuUsPerCall), p50: r((c) => c.p50Us), p99: r((c) => c.p99Us) };
}

export function summarizeTopology(hops: Hops, scenarios: readonly Scenario[], cells: Cells): TopologySummary {
  const out: ScenarioSummary[] = [];
  for (const s of scenarios) {
    const list = cells[s] ?? [];
    if (list.length === 0) continue;
    const firstError = list.find((c) => c.firstError !== undefined)?.firstError;
    out.push({
      scenario: s,
      label: SCENARIO_LABELS[s],
      reps: list.length,
      medians: {
        p50Us: median(list.map((c) => c.p50Us)),
        p99Us: median(list.map((c) => c.p99Us)),
        throughput: median(list.map((c) => c.throughput)),
        cpuUsPerCall: median(list.map((c) => c.cpuUsPerCall)),
      },
      vsHand: s === 'hand' ? null : ratios(list, cells.hand),
      vsRaw: s === 'raw' ? null : ratios(list, cells.raw),
      lostTags: s === 'raw' ? null : list.reduce((n, c) => n + c.lostTags, 0),
      errors: list.reduce((n, c) => n + c.errors, 0),
      calls: list.reduce((n, c) => n + c.throughputCalls + c.latencyCalls, 0),
      ...(firstError === undefined ? {} : { firstError }),
    });
  }
  return { hops, scenarios: out };
}

function judge(value: number | null, comparator: '>=' | '<=', threshold: number): Target['status'] {
  if (value === null) return 'n/a';
  return (comparator === '>=' ? value >= threshold : value <= threshold) ? 'met' : 'missed';
}

/** The targets, judged on the medians of paired per-repetition values (3-hop chain). */
export function evaluateTargets(cells3: Cells | undefined, micro: readonly MicroResult[] | null, routingCost: RoutingCost | null = null): Target[] {
  const targets: Target[] = [];
  const g = cells3?.graylane;
  const hand = cells3?.hand;
  const push = (t: Omit<Target, 'status' | 'rangeCrossesBar'>): void => {
    const r = t.range;
    const crosses = r !== null && r.min !== null && r.max !== null && r.min < t.threshold && r.max > t.threshold;
    targets.push({ ...t, status: judge(t.value, t.comparator, t.threshold), rangeCrossesBar: crosses });
  };
  const pr = (a: CellResult[] | undefined, b: CellResult[] | undefined, f: (c: CellResult) => number): Spread | null =>
    a === undefined || b === undefined ? null : spread(pairedRatios(a.map(f), b.map(f)));
  const thrHand = pr(g, hand, (c) => c.throughput);
  push({ id: 'throughput-vs-hand', description: 'graylane 3-hop throughput vs hand-written', value: thrHand?.median ?? null, range: thrHand, comparator: '>=', threshold: 1.0, unit: '×' });
  const cpuHand = pr(g, hand, (c) => c.cpuUsPerCall);
  push({ id: 'cpu-vs-hand', description: 'graylane 3-hop CPU per call vs hand-written', value: cpuHand?.median ?? null, range: cpuHand, comparator: '<=', threshold: 1.03, unit: '×' });
  const thrOtel = pr(g, cells3?.['otel-off'], (c) => c.throughput);
  push({ id: 'throughput-vs-otel-off', description: 'graylane 3-hop throughput vs OpenTelemetry baggage (sampler off)', value: thrOtel?.median ?? null, range: thrOtel, comparator: '>=', threshold: 1.45, unit: '×' });
  const cpuOtel = pr(cells3?.['otel-off'], g, (c) => c.cpuUsPerCall);
  push({ id: 'cpu-otel-off-over-graylane', description: 'OpenTelemetry (sampler off) 3-hop CPU per call ÷ graylane (informative; same 1.45 bar)', value: cpuOtel?.median ?? null, range: cpuOtel, comparator: '>=', threshold: 1.45, unit: '×' });
  // The same bars for the no-AsyncLocalStorage style (forwardGrayMetadata(call) on a plain server): informative.
  const call = cells3?.['graylane-call'];
  const cpuCallHand = pr(call, hand, (c) => c.cpuUsPerCall);
  push({ id: 'call-cpu-vs-hand', description: 'graylane-call (no AsyncLocalStorage) 3-hop CPU per call vs hand-written (informative)', value: cpuCallHand?.median ?? null, range: cpuCallHand, comparator: '<=', threshold: 1.03, unit: '×' });
  const cpuOtelCall = pr(cells3?.['otel-off'], call, (c) => c.cpuUsPerCall);
  push({ id: 'cpu-otel-off-over-call', description: 'OpenTelemetry (sampler off) 3-hop CPU per call ÷ graylane-call (informative)', value: cpuOtelCall?.median ?? null, range: cpuOtelCall, comparator: '>=', threshold: 1.45, unit: '×' });
  const cpuNice = pr(cells3?.['nice-grpc'], cells3?.['nice-hand'], (c) => c.cpuUsPerCall);
  push({ id: 'nice-cpu-vs-nice-hand', description: 'graylane nice-grpc middleware 3-hop CPU per call vs nice-grpc hand-written (informative)', value: cpuNice?.median ?? null, range: cpuNice, comparator: '<=', threshold: 1.03, unit: '×' });
  if (routingCost !== null) {
    const r: Spread = { median: routingCost.addedUsPerCall, min: routingCost.addedMin, max: routingCost.addedMax, n: routingCost.rounds };
    push({
      id: 'routing-cost', description: 'routing: extra CPU per call, routed vs direct channel in one process (bench/routing-cost.ts)', value: r.median, range: r,
      comparator: '<=', threshold: 2, unit: 'µs',
      note: `median of ${routingCost.rounds} paired batches of ${routingCost.batch} calls; ${routingCost.directUsPerCall.toFixed(0)} µs per call without routing`,
    });
  }
  const routing = cells3?.routing;
  // Two routed client calls per chain call (A → B, B → C); the load client is not routed.
  const diffs = routing === undefined || g === undefined ? [] : pairedDiffs(routing.map((c) => c.cpuUsPerCall), g.map((c) => c.cpuUsPerCall)).map((d) => d / 2);
  const routed = diffs.length === 0 ? null : spread(diffs);
  push({
    id: 'routing-cost-chain', description: 'routing: extra CPU per routed call in the chain (3-hop, routing − graylane, ÷ 2 routed calls)', value: routed?.median ?? null, range: routed,
    comparator: '<=', threshold: 2, unit: 'µs',
    note: 'CPU per call of a 3-hop chain is several hundred µs; run-to-run noise is larger than 2 µs, so read the range.',
  });
  const fwd = micro?.find((m) => m.name === 'forwardGrayMetadata(call)');
  const fwdCtx = micro?.find((m) => m.name === 'forwardGrayMetadata() in a context');
  const worst = [fwd?.nsPerOp, fwdCtx?.nsPerOp].filter((v): v is number => v !== undefined && Number.isFinite(v));
  push({ id: 'forward-ns', description: 'forwardGrayMetadata (slower of: from a call, from the context)', value: worst.length === 0 ? null : Math.max(...worst), range: null, comparator: '<=', threshold: 300, unit: 'ns' });
  const picks = (micro ?? []).filter((m) => m.name.startsWith('balancer pick:') && Number.isFinite(m.nsPerOp)).map((m) => m.nsPerOp);
  push({
    id: 'pick-us', description: "routing: the balancer's pick alone (micro; slower of canary and untagged)", value: picks.length === 0 ? null : Math.max(...picks) / 1000, range: null,
    comparator: '<=', threshold: 2, unit: 'µs', note: 'the part of routing that runs on every call; the resolver and subchannels are per channel, not per call',
  });
  return targets;
}
