/**
 * `npm run bench`: the interleaved benchmark of graylane against raw grpc-js, hand-written
 * forwarding and OpenTelemetry baggage over 1-hop and 3-hop chains, plus micro benchmarks.
 * After a full run writes docs/benchmarks.md, .svg and .json (a `--quick` or custom run only with `--docs`)
 * and prints a table (or JSON with `--json`).
 * Usage: npx tsx bench/run.ts [--quick] [--json] [--scenarios a,b] [--hops 1,3] [--reps N]
 *   [--throughput-ms N] [--latency-calls N] [--no-micro] [--docs | --no-docs] [--out DIR] [--cpu-prof DIR]
 *   [--render FILE.json]  (re-render docs from a saved report; runs nothing)
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { measure, startChain, type Chain, type PhaseConfig } from './chain.js';
import { parseArgs } from './cli.js';
import { type Hops, type Scenario } from './common.js';
import type { MicroResult } from './micro.js';
import { REPO_ROOT, killAllProcs } from './procs.js';
import { chartSvg } from './chart-svg.js';
import { consoleTable, markdown, type BenchReport } from './report.js';
import { evaluateTargets, summarizeTopology, type AwaitCost, type Cells, type RoutingCost } from './summary.js';

const cli = parseArgs(process.argv.slice(2));
const log = (msg: string): void => {
  (cli.json ? process.stderr : process.stdout).write(`${msg}\n`);
};

const reps = cli.reps ?? (cli.quick ? 2 : 5);
const phases: PhaseConfig = cli.quick
  ? { warmupCalls: 2_000, warmupMs: 100, latencyCalls: cli.latencyCalls ?? 150, latencyMs: 700, concurrency: 64, throughputMs: cli.throughputMs ?? 500, throughputMaxCalls: 200_000 }
  : { warmupCalls: 10_000, warmupMs: 400, latencyCalls: cli.latencyCalls ?? 600, latencyMs: 2_000, concurrency: 64, throughputMs: cli.throughputMs ?? 2_000, throughputMaxCalls: 1_000_000 };
// JIT warm-up: on a 2-core VM a chain needs ~2–3 s of load before CPU per call settles.
const warmPassMs = cli.quick ? 400 : 2_000;

/** Scenarios that depend on adapters other engineers are building: skipped (and reported) when absent. */
async function availability(s: Scenario): Promise<string | undefined> {
  const check = async (file: string, spec: string, names: readonly string[]): Promise<string | undefined> => {
    if (!existsSync(join(REPO_ROOT, file))) return `${file} does not exist yet`;
    try {
      const mod = (await import(spec)) as Record<string, unknown>;
      const missing = names.filter((n) => typeof mod[n] !== 'function');
      return missing.length === 0 ? undefined : `${spec} does not export ${missing.join(', ')}`;
    } catch (err) {
      return `${spec} fails to load: ${String(err)}`;
    }
  };
  if (s === 'nice-hand') return existsSync(join(REPO_ROOT, 'node_modules/nice-grpc')) ? undefined : 'nice-grpc is not installed';
  if (s === 'nice-grpc') return check('src/nice-grpc/index.ts', 'graylane/nice-grpc', ['grayServerMiddleware', 'grayClientMiddleware']);
  if (s === 'routing') return check('src/routing/index.ts', 'graylane/routing', ['registerGrayRouting', 'createStaticRegistry']);
  return undefined;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line !== undefined) return line.split(':')[1]!.trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

function runJsonChild(args: readonly string[], timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', ...args], { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) return reject(err);
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch (e) {
        reject(new Error(`bad output from ${args[0]}: ${String(e)}`));
      }
    });
  });
}

/** Starts chains a few at a time (start-up is CPU-bound: tsx compiles each process). */
async function startAll(specs: readonly { scenario: Scenario; hops: Hops }[]): Promise<Map<string, Chain>> {
  const chains = new Map<string, Chain>();
  const queue = [...specs];
  const worker = async (): Promise<void> => {
    for (let spec = queue.shift(); spec !== undefined; spec = queue.shift()) {
      chains.set(`${spec.scenario}/${spec.hops}`, await startChain(spec.scenario, spec.hops, cli.cpuProf));
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return chains;
}

function writeDocs(report: BenchReport, withJson: boolean): void {
  mkdirSync(cli.out, { recursive: true });
  writeFileSync(join(cli.out, 'benchmarks.md'), markdown(report));
  writeFileSync(join(cli.out, 'benchmarks.svg'), chartSvg(report));
  if (withJson) writeFileSync(join(cli.out, 'benchmarks.json'), `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${join(cli.out, 'benchmarks.md')}, benchmarks.svg${withJson ? ' and benchmarks.json' : ''}`);
}

async function main(): Promise<void> {
  if (cli.render !== undefined) {
    const report = JSON.parse(readFileSync(cli.render, 'utf8')) as BenchReport;
    writeDocs(report, false);
    log(consoleTable(report));
    return;
  }
  const t0 = Date.now();
  const load = loadavg();
  const skipped: { scenario: Scenario; reason: string }[] = [];
  const scenarios: Scenario[] = [];
  for (const s of cli.scenarios) {
    const reason = await availability(s);
    if (reason === undefined) scenarios.push(s);
    else skipped.push({ scenario: s, reason });
  }
  for (const s of skipped) log(`skipping ${s.scenario}: ${s.reason}`);
  log(`graylane bench: ${scenarios.join(', ')} × ${cli.hops.map((h) => `${h}-hop`).join(', ')}, ${reps} reps${cli.quick ? ' (quick)' : ''}`);

  const specs = cli.hops.flatMap((hops) => scenarios.map((scenario) => ({ scenario, hops })));
  const chains = await startAll(specs);
  log(`started ${chains.size} chains in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const cells = new Map<Hops, Cells>(cli.hops.map((h) => [h, {}]));
  try {
    for (const spec of specs) {
      await chains.get(`${spec.scenario}/${spec.hops}`)!.client.request('closedLoop', { concurrency: phases.concurrency, maxCalls: 1e6, ms: warmPassMs }, warmPassMs + 30_000);
    }
    for (let rep = 0; rep < reps; rep++) {
      const order = scenarios.map((_, i) => scenarios[(i + rep) % scenarios.length]!);
      const hopsOrder = rep % 2 === 0 ? cli.hops : [...cli.hops].reverse();
      for (const hops of hopsOrder) {
        for (const scenario of order) {
          const res = await measure(chains.get(`${scenario}/${hops}`)!, phases);
          ((cells.get(hops)![scenario] ??= [])).push(res);
          log(`rep ${rep + 1}/${reps} ${hops}-hop ${scenario.padEnd(16)} ${res.throughput.toFixed(0).padStart(6)} calls/s  ${res.cpuUsPerCall.toFixed(0).padStart(5)} µs CPU/call  p50 ${res.p50Us.toFixed(0)} µs  lost ${res.lostTags}${res.errors > 0 ? `  errors ${res.errors}: ${res.firstError ?? ''}` : ''}`);
        }
      }
    }
  } finally {
    await Promise.all([...chains.values()].map((c) => c.stop()));
  }

  let micro: MicroResult[] | null = null;
  let awaitCost: AwaitCost | null = null;
  let routingCost: RoutingCost | null = null;
  if (cli.micro) {
    log('micro benchmarks…');
    const q = cli.quick ? ['--quick'] : [];
    micro = (await runJsonChild(['bench/micro.ts', ...q], 180_000)) as MicroResult[];
    const off = (await runJsonChild(['bench/await-cost.ts', 'off', ...q], 120_000)) as AwaitCost['off'];
    const on = (await runJsonChild(['bench/await-cost.ts', 'on', ...q], 120_000)) as AwaitCost['on'];
    awaitCost = { off, on, ratioValue: on.awaitValueNs / off.awaitValueNs, ratioAsyncCall: on.awaitAsyncCallNs / off.awaitAsyncCallNs };
    if (scenarios.includes('routing')) {
      log('routing cost (one process, routed vs direct channel)…');
      routingCost = (await runJsonChild(['bench/routing-cost.ts', ...q], 180_000)) as RoutingCost;
    }
  }

  const grpcJs = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/@grpc/grpc-js/package.json'), 'utf8')) as { version: string }).version;
  const report: BenchReport = {
    tool: 'graylane-bench',
    schema: 1,
    date: new Date().toISOString(),
    mode: cli.custom ? 'custom' : cli.quick ? 'quick' : 'full',
    command: `npx tsx bench/run.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    node: process.version,
    grpcJs,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpuModel(),
    nproc: availableParallelism(),
    loadAvgAtStart: load,
    config: { reps, warmPassMs, ...phases },
    scenarios,
    skipped,
    topologies: cli.hops.map((h) => summarizeTopology(h, scenarios, cells.get(h)!)),
    micro,
    awaitCost,
    routingCost,
    targets: evaluateTargets(cells.get(3), micro, routingCost),
    durationSec: (Date.now() - t0) / 1000,
  };
  if (cli.docs) writeDocs(report, true);
  if (cli.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else log(consoleTable(report));
}

main().then(
  () => {
    killAllProcs();
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    killAllProcs();
    process.exit(1);
  },
);
