/**
 * A running chain for one scenario and topology — hops C, B, A and the load client, each its own
 * process — and one measurement of it: warm-up, concurrency-1 latency, concurrency-64 throughput
 * with the CPU time of every process summed over the throughput window.
 * @packageDocumentation
 */
import { isOtel, type Hops, type Scenario } from './common.js';
import { spawnProc, type Proc } from './procs.js';

export interface Chain {
  readonly scenario: Scenario;
  readonly hops: Hops;
  /** Hops (leaf first) and the client, last. */
  readonly procs: readonly Proc[];
  readonly client: Proc;
  /** Kills every process at once. */
  close(): void;
  /** Lets every process exit on its own (profiles get written), killing stragglers. */
  stop(): Promise<void>;
}

/** How long and how much one measurement runs; every phase is bounded by count and time. */
export interface PhaseConfig {
  readonly warmupCalls: number;
  readonly warmupMs: number;
  readonly latencyCalls: number;
  readonly latencyMs: number;
  readonly concurrency: number;
  readonly throughputMs: number;
  readonly throughputMaxCalls: number;
}

/** One measurement of one chain. */
export interface CellResult {
  readonly p50Us: number;
  readonly p99Us: number;
  readonly latencyCalls: number;
  readonly throughput: number;
  readonly throughputCalls: number;
  /** CPU µs of all processes (client + every hop) per completed call, during the throughput phase. */
  readonly cpuUsPerCall: number;
  readonly lostTags: number;
  readonly errors: number;
  readonly firstError?: string;
}

function procOptions(scenario: Scenario): { preload?: string[]; env?: Record<string, string> } {
  if (!isOtel(scenario)) return {};
  return { preload: ['bench/otel-preload.ts'], env: { BENCH_OTEL_SAMPLER: scenario === 'otel-on' ? 'on' : 'off' } };
}

/** Starts the hops leaf first (each needs its downstream's port), then the client. */
export async function startChain(scenario: Scenario, hops: Hops, cpuProfDir?: string): Promise<Chain> {
  const procs: Proc[] = [];
  const close = (): void => {
    for (const p of procs) p.kill();
  };
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop()));
  };
  const prof = cpuProfDir === undefined ? {} : { cpuProfDir };
  try {
    const names = hops === 1 ? ['A'] : ['C', 'B', 'A'];
    let downstream: string | undefined;
    for (const name of names) {
      const hop = await spawnProc({
        name: `${scenario}/${hops}hop/${name}`,
        module: 'hop-server.ts',
        args: downstream === undefined ? [scenario] : [scenario, downstream],
        ...procOptions(scenario),
        ...prof,
      });
      procs.push(hop);
      downstream = `127.0.0.1:${hop.port}`;
    }
    const client = await spawnProc({
      name: `${scenario}/${hops}hop/client`,
      module: 'load-client.ts',
      args: [scenario, downstream!],
      ...procOptions(scenario),
    });
    procs.push(client);
    await client.request('ready', {}, 30_000);
    return { scenario, hops, procs, client, close, stop };
  } catch (err) {
    close();
    throw err;
  }
}

async function cpuSnapshot(procs: readonly Proc[]): Promise<number> {
  const values = await Promise.all(procs.map((p) => p.request<number>('cpu', {}, 10_000)));
  return values.reduce((a, b) => a + b, 0);
}

interface LoopResult { calls: number; elapsedMs: number; lostTags: number; errors: number; firstError?: string }
interface LatencyResult { calls: number; p50Us: number; p99Us: number; lostTags: number; errors: number; firstError?: string }

/** Warm-up, latency at concurrency 1, then throughput at `concurrency` with CPU per call. */
export async function measure(chain: Chain, cfg: PhaseConfig): Promise<CellResult> {
  const { client, procs } = chain;
  const limit = (ms: number): number => ms + 30_000;
  const warm = await client.request<LoopResult>('closedLoop', { concurrency: cfg.concurrency, maxCalls: cfg.warmupCalls, ms: cfg.warmupMs }, limit(cfg.warmupMs));
  const lat = await client.request<LatencyResult>('latency', { calls: cfg.latencyCalls, ms: cfg.latencyMs }, limit(cfg.latencyMs));
  const cpu0 = await cpuSnapshot(procs);
  const thr = await client.request<LoopResult>('closedLoop', { concurrency: cfg.concurrency, maxCalls: cfg.throughputMaxCalls, ms: cfg.throughputMs }, limit(cfg.throughputMs));
  const cpu1 = await cpuSnapshot(procs);
  const firstError = warm.firstError ?? lat.firstError ?? thr.firstError;
  return {
    p50Us: lat.p50Us,
    p99Us: lat.p99Us,
    latencyCalls: lat.calls,
    throughput: thr.calls / (thr.elapsedMs / 1000),
    throughputCalls: thr.calls,
    cpuUsPerCall: thr.calls > 0 ? (cpu1 - cpu0) / thr.calls : NaN,
    lostTags: warm.lostTags + lat.lostTags + thr.lostTags,
    errors: warm.errors + lat.errors + thr.errors,
    ...(firstError === undefined ? {} : { firstError }),
  };
}
