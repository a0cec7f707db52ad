/**
 * A running chain for one scenario and topology — hops C, B, A and the load client, each its own
 * process running the compiled bench on the chosen `node` — and one measurement of it: warm-up,
 * concurrency-1 latency, then concurrency-64 throughput with the CPU time of every process summed
 * over the throughput window (and that window's start and end in each process, for its profile).
 * @packageDocumentation
 */
import { join } from 'node:path';
import { isOtel, type CpuReading, type Hops, type Scenario } from './common.js';
import { profileFolderName, spawnProc, type Proc } from './procs.js';

export interface Chain {
  readonly scenario: Scenario;
  readonly hops: Hops;
  /** Hops (leaf first) and the client, last. */
  readonly procs: readonly Proc[];
  /** Short name of each process, same order as `procs`: `C`, `B`, `A`, `client`. */
  readonly roles: readonly string[];
  /** Where each process writes its CPU profile (same order), when profiling. */
  readonly profileDirs: readonly string[] | undefined;
  readonly client: Proc;
  /** Kills every process at once. */
  close(): void;
  /** Lets every process exit on its own (profiles get written), killing stragglers. */
  stop(): Promise<void>;
}

/** Where and how the chain's processes run. */
export interface ChainOptions {
  /** Folder of the compiled bench (build.ts). */
  readonly outDir: string;
  /** The `node` binary. */
  readonly execPath: string;
  /** Profile every process (`--cpu-prof`) into `<dir>/<process>/`. */
  readonly cpuProfDir?: string;
  readonly cpuProfIntervalUs?: number;
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
  /** The throughput window of each process (`procs` order), µs on its monotonic clock. */
  readonly windows: readonly (readonly [number, number])[];
  readonly lostTags: number;
  readonly errors: number;
  readonly firstError?: string;
}

function procOptions(scenario: Scenario, o: ChainOptions): { preload?: string[]; env?: Record<string, string> } {
  if (!isOtel(scenario)) return {};
  return { preload: [join(o.outDir, 'otel-preload.js')], env: { BENCH_OTEL_SAMPLER: scenario === 'otel-on' ? 'on' : 'off' } };
}

/** Starts the hops leaf first (each needs its downstream's port), then the client. */
export async function startChain(scenario: Scenario, hops: Hops, o: ChainOptions): Promise<Chain> {
  const procs: Proc[] = [];
  const close = (): void => {
    for (const p of procs) p.kill();
  };
  const stop = async (): Promise<void> => {
    // Generous grace: a process with --cpu-prof writes its profile on the way out.
    await Promise.all(procs.map((p) => p.stop(60_000)));
  };
  const roles = [...(hops === 1 ? ['A'] : ['C', 'B', 'A']), 'client'];
  const profileDirs = o.cpuProfDir === undefined ? undefined : roles.map((r) => join(o.cpuProfDir!, profileFolderName(`${scenario}-${hops}hop-${r}`)));
  const common = (i: number): { execPath: string; cpuProfDir?: string; cpuProfIntervalUs?: number } => ({
    execPath: o.execPath,
    ...(profileDirs === undefined ? {} : { cpuProfDir: profileDirs[i]! }),
    ...(o.cpuProfIntervalUs === undefined ? {} : { cpuProfIntervalUs: o.cpuProfIntervalUs }),
  });
  try {
    let downstream: string | undefined;
    for (let i = 0; i < roles.length - 1; i++) {
      const hop = await spawnProc({
        name: `${scenario}/${hops}hop/${roles[i]}`,
        module: join(o.outDir, 'hop-server.js'),
        args: downstream === undefined ? [scenario, roles[i]!] : [scenario, roles[i]!, downstream],
        ...procOptions(scenario, o),
        ...common(i),
      });
      procs.push(hop);
      downstream = `127.0.0.1:${hop.port}`;
    }
    const client = await spawnProc({
      name: `${scenario}/${hops}hop/client`,
      module: join(o.outDir, 'load-client.js'),
      args: [scenario, downstream!],
      ...procOptions(scenario, o),
      ...common(roles.length - 1),
    });
    procs.push(client);
    await client.request('ready', {}, 30_000);
    return { scenario, hops, procs, roles, profileDirs, client, close, stop };
  } catch (err) {
    close();
    throw err;
  }
}

function cpuSnapshot(procs: readonly Proc[]): Promise<CpuReading[]> {
  return Promise.all(procs.map((p) => p.request<CpuReading>('cpu', {}, 10_000)));
}

interface LoopResult { calls: number; elapsedMs: number; lostTags: number; errors: number; firstError?: string }
interface LatencyResult { calls: number; p50Us: number; p99Us: number; lostTags: number; errors: number; firstError?: string }

/** Warm-up, latency at concurrency 1, then throughput at `concurrency` with CPU per call. */
export async function measure(chain: Chain, cfg: PhaseConfig): Promise<CellResult> {
  const { client, procs } = chain;
  const limit = (ms: number): number => ms + 30_000;
  const warm = await client.request<LoopResult>('closedLoop', { concurrency: cfg.concurrency, maxCalls: cfg.warmupCalls, ms: cfg.warmupMs }, limit(cfg.warmupMs));
  const lat = await client.request<LatencyResult>('latency', { calls: cfg.latencyCalls, ms: cfg.latencyMs }, limit(cfg.latencyMs));
  const before = await cpuSnapshot(procs);
  const thr = await client.request<LoopResult>('closedLoop', { concurrency: cfg.concurrency, maxCalls: cfg.throughputMaxCalls, ms: cfg.throughputMs }, limit(cfg.throughputMs));
  const after = await cpuSnapshot(procs);
  const cpu = after.reduce((n, r, i) => n + r.cpuUs - before[i]!.cpuUs, 0);
  const firstError = warm.firstError ?? lat.firstError ?? thr.firstError;
  return {
    p50Us: lat.p50Us,
    p99Us: lat.p99Us,
    latencyCalls: lat.calls,
    throughput: thr.calls / (thr.elapsedMs / 1000),
    throughputCalls: thr.calls,
    cpuUsPerCall: thr.calls > 0 ? cpu / thr.calls : NaN,
    windows: before.map((b, i) => [b.tUs, after[i]!.tUs] as const),
    lostTags: warm.lostTags + lat.lostTags + thr.lostTags,
    errors: warm.errors + lat.errors + thr.errors,
    ...(firstError === undefined ? {} : { firstError }),
  };
}
