/**
 * The dashboard's view of the fleet, rebuilt on every scrape and registry change: services with
 * their instances per stage and rules (from the registry), per-stage rate / error ratio / p99 over
 * the window (from the services' metrics), the lane graph's edges, and the rollouts.
 * @packageDocumentation
 */
import { DEFAULT_STAGE } from '../core/stage.js';
import type { GrayRegistry, GrayServiceSnapshot } from '../routing/types.js';
import { readRollouts, type DashboardRollout } from './rollouts.js';
import type { StageCounts } from './scrape.js';
import { addCounts, p99Ms, type WindowCounts } from './window.js';

/** A metrics endpoint and what the last scrape of it gave. */
export interface SourceView {
  /** The URL scraped. */
  readonly url: string;
  /** The registry service it belongs to (given as `service=url`, else read from its gRPC server metrics), if known. */
  readonly service: string | undefined;
  /** `ok`, `pending` (not read yet) or `error`. */
  readonly status: 'ok' | 'pending' | 'error';
  /** Why the last scrape failed. */
  readonly error?: string;
}

/** One stage of one service. */
export interface StageView {
  /** The stage. */
  readonly stage: string;
  /** Its instances' addresses and weights. */
  readonly instances: ReadonlyArray<{ readonly address: string; readonly weight: number }>;
  /** In the rules' `disabledStages`. */
  readonly disabled: boolean;
  /** Calls per second over the window, when measured. */
  readonly rate: number | undefined;
  /** Failed / all calls over the window, when there were calls. */
  readonly errorRatio: number | undefined;
  /** p99 latency over the window in ms, when measured. */
  readonly p99Ms: number | undefined;
  /** Calls in the window. */
  readonly calls: number;
  /** `ok`, `error-rate` / `p99` (over the guard's limit), or `no-data`. */
  readonly verdict: 'ok' | 'error-rate' | 'p99' | 'no-data';
}

/** One service node of the lane graph. */
export interface ServiceView {
  /** Service name. */
  readonly name: string;
  /** `true` when the registry has instances or rules for it. */
  readonly inRegistry: boolean;
  /** Its rules, defaults filled in. */
  readonly rules: { readonly fallback: string; readonly strictStages: readonly string[]; readonly disabledStages: readonly string[] };
  /** Its stages (instances', disabled ones and those seen in metrics). */
  readonly stages: readonly StageView[];
}

/** One edge of the lane graph: calls of `stage` from `from` to `to`. */
export interface EdgeView {
  /** Calling service. */
  readonly from: string;
  /** Called service. */
  readonly to: string;
  /** The calls' stage. */
  readonly stage: string;
  /** Calls per second. */
  readonly rate: number;
  /** Failed / all calls. */
  readonly errorRatio: number | undefined;
  /** `lane` (served by `stage`), `fallback` (served by the default stage) or `refused` (strict: UNAVAILABLE). */
  readonly kind: 'lane' | 'fallback' | 'refused';
}

/** Everything the page shows. */
export interface DashboardState {
  /** When built (ms since the epoch). */
  readonly at: number;
  /** The registry: where, its status and last error. */
  readonly registry: { readonly where: string; readonly status: string; readonly error: string | undefined };
  /** The guard's limits the numbers are judged against, and the window. */
  readonly thresholds: { readonly maxErrorRate: number; readonly maxP99Ms: number; readonly windowMs: number };
  /** `true` when a token is configured (actions possible). */
  readonly actions: boolean;
  /** Every known service, by name. */
  readonly services: readonly ServiceView[];
  /** The lane graph's edges. */
  readonly edges: readonly EdgeView[];
  /** The metrics endpoints. */
  readonly sources: readonly SourceView[];
  /** Rollouts stored in the registry (`[]` when none). */
  readonly rollouts: readonly DashboardRollout[];
}

/** What {@link buildState} reads. */
export interface StateInputs {
  /** The registry. */
  readonly registry: GrayRegistry;
  /** Where it is, for the page (`file path` or `etcd://…`). */
  readonly where: string;
  /** Last background error of the registry. */
  readonly registryError: string | undefined;
  /** Services named by the registry file, `--service` and the metrics sources. */
  readonly services: Iterable<string>;
  /** Per source: its view and its window counts (`undefined` before two scrapes). */
  readonly sources: ReadonlyArray<{ readonly view: SourceView; readonly window: WindowCounts | undefined }>;
  /** gRPC service name → registry service name, learned from `service=url` sources. */
  readonly aliases: ReadonlyMap<string, string>;
  /** Guard limits and window. */
  readonly thresholds: DashboardState['thresholds'];
  /** Actions enabled. */
  readonly actions: boolean;
}

const emptyCounts = (): StageCounts => ({ total: 0, errors: 0, buckets: new Map() });

function edgeKind(snap: GrayServiceSnapshot, stage: string): EdgeView['kind'] {
  if (stage === DEFAULT_STAGE) return 'lane';
  const served = !snap.rules.disabledStages.includes(stage) && snap.instances.some((i) => i.stage === stage);
  if (served) return 'lane';
  return snap.rules.fallback === 'strict' || snap.rules.strictStages.includes(stage) ? 'refused' : 'fallback';
}

/** Builds the page's state from the registry's snapshots and the sources' windows. */
export function buildState(input: StateInputs): DashboardState {
  const alias = (grpcService: string): string => input.aliases.get(grpcService) ?? grpcService;
  // service → stage → counts and seconds (the longest window of its sources).
  const served = new Map<string, Map<string, StageCounts>>();
  const seconds = new Map<string, number>();
  const edges = new Map<string, { from: string; to: string; stage: string; counts: StageCounts; seconds: number }>();
  for (const { view, window } of input.sources) {
    if (window === undefined) continue;
    for (const [grpcService, stages] of window.served) {
      const name = view.service ?? (grpcService === '' ? view.url : alias(grpcService));
      let byStage = served.get(name);
      if (byStage === undefined) served.set(name, (byStage = new Map()));
      for (const [stage, c] of stages) {
        let into = byStage.get(stage);
        if (into === undefined) byStage.set(stage, (into = emptyCounts()));
        addCounts(into, c);
      }
      seconds.set(name, Math.max(seconds.get(name) ?? 0, window.seconds));
    }
    const from = view.service ?? view.url;
    for (const [callee, stages] of window.called) {
      for (const [stage, c] of stages) {
        const to = alias(callee);
        const key = JSON.stringify([from, to, stage]);
        const edge = edges.get(key) ?? { from, to, stage, counts: emptyCounts(), seconds: window.seconds };
        addCounts(edge.counts, c);
        edges.set(key, edge);
      }
    }
  }
  const names = new Set(input.services);
  for (const name of served.keys()) names.add(name);
  for (const e of edges.values()) names.add(e.from).add(e.to);
  const { maxErrorRate, maxP99Ms } = input.thresholds;
  const services: ServiceView[] = [...names].sort().map((name) => {
    const snap = input.registry.getService(name);
    const measured = served.get(name);
    const stageNames = new Set<string>([...snap.instances.map((i) => i.stage), ...snap.rules.disabledStages, ...(measured?.keys() ?? [])]);
    const stages = [...stageNames].sort((a, b) => (a === DEFAULT_STAGE ? -1 : b === DEFAULT_STAGE ? 1 : a.localeCompare(b))).map((stage): StageView => {
      const c = measured?.get(stage);
      const secs = seconds.get(name) ?? 0;
      const errorRatio = c !== undefined && c.total > 0 ? c.errors / c.total : undefined;
      const p99 = c === undefined ? undefined : p99Ms(c.buckets);
      const verdict = errorRatio === undefined ? 'no-data' : errorRatio > maxErrorRate ? 'error-rate' : p99 !== undefined && p99 > maxP99Ms ? 'p99' : 'ok';
      return {
        stage,
        instances: snap.instances.filter((i) => i.stage === stage).map((i) => ({ address: i.address, weight: i.weight ?? 1 })),
        disabled: snap.rules.disabledStages.includes(stage),
        rate: c !== undefined && secs > 0 ? c.total / secs : undefined,
        errorRatio,
        p99Ms: p99,
        calls: c?.total ?? 0,
        verdict,
      };
    });
    return {
      name,
      inRegistry: snap.instances.length > 0 || stageNames.size > 0 && snap.rules.disabledStages.length > 0,
      rules: { fallback: snap.rules.fallback, strictStages: snap.rules.strictStages, disabledStages: snap.rules.disabledStages },
      stages,
    };
  });
  const edgeViews = [...edges.values()].map((e): EdgeView => ({
    from: e.from,
    to: e.to,
    stage: e.stage,
    rate: e.counts.total / e.seconds,
    errorRatio: e.counts.total > 0 ? e.counts.errors / e.counts.total : undefined,
    kind: edgeKind(input.registry.getService(e.to), e.stage),
  })).sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.stage.localeCompare(b.stage));
  return {
    at: Date.now(),
    registry: { where: input.where, status: input.registry.status, error: input.registryError },
    thresholds: input.thresholds,
    actions: input.actions,
    services,
    edges: edgeViews,
    sources: input.sources.map((s) => s.view),
    rollouts: readRollouts(input.registry),
  };
}
