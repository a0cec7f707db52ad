/**
 * `npm run bench`: the interleaved benchmark of the BUILT graylane (dist/, rebuilt when stale)
 * against hand-written forwarding over a 3-hop chain, on Node 24 (primary) and Node 20. Every
 * round measures every scenario once, in a rotated order; each target is judged on a bootstrap
 * interval of the per-round paired ratios (met / missed / unsettled). Every chain process is
 * CPU-profiled (`--cpu-prof`) and the share of samples in graylane's frames is counted inside the
 * measured windows. After a full run writes docs/benchmarks.md, .svg and .json.
 * Usage: see {@link USAGE} (`--help`).
 * @packageDocumentation
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareBuild, type BuiltBench } from './build.js';
import { measure, startChain, type CellResult, type Chain, type PhaseConfig } from './chain.js';
import { parseArgs, USAGE } from './cli.js';
import { type Hops, type Scenario } from './common.js';
import type { MicroResult } from './micro.js';
import { countProfile, readMainProfile, type ProfileCounts } from './profile-share.js';
import { REPO_ROOT, killAllProcs, runJsonChild } from './procs.js';
import { consoleTable, writeDocs, type BenchReport, type RuntimeReport } from './report.js';
import { resolveRuntimes, type BenchRuntime } from './runtimes.js';
import { evaluateTargets, summarizeShares, summarizeTopology, type AwaitCost, type Cells, type ProcessShare, type RoutingCost, type ScenarioProfile } from './summary.js';
import { cpuModel } from './machine.js';

const cli = parseArgs(process.argv.slice(2));
const log = (msg: string): void => {
  (cli.json ? process.stderr : process.stdout).write(`${msg}\n`);
};

const rounds = cli.rounds ?? (cli.quick ? 3 : 8);
const phases: PhaseConfig = cli.quick
  ? { warmupCalls: 5_000, warmupMs: 300, latencyCalls: cli.latencyCalls ?? 100, latencyMs: 400, concurrency: 64, throughputMs: cli.throughputMs ?? 700, throughputMaxCalls: 200_000 }
  : { warmupCalls: 20_000, warmupMs: 1_000, latencyCalls: cli.latencyCalls ?? 300, latencyMs: 1_000, concurrency: 64, throughputMs: cli.throughputMs ?? 4_000, throughputMaxCalls: 2_000_000 };
// JIT warm-up before the first round: on a 2-core VM a chain needs ~2–3 s of load before CPU per call settles.
const warmPassMs = cli.quick ? 500 : 3_000;


/** Starts chains two at a time (start-up is CPU-bound). */
async function startAll(specs: readonly { scenario: Scenario; hops: Hops }[], start: (s: Scenario, h: Hops) => Promise<Chain>): Promise<Map<string, Chain>> {
  const chains = new Map<string, Chain>();
  const queue = [...specs];
  const worker = async (): Promise<void> => {
    for (let spec = queue.shift(); spec !== undefined; spec = queue.shift()) chains.set(`${spec.scenario}/${spec.hops}`, await start(spec.scenario, spec.hops));
  };
  await Promise.all([worker(), worker()]);
  return chains;
}

/** Per-round window counts of every process of a chain, from its profiles. */
function chainShares(chain: Chain, cells: readonly CellResult[], build: BuiltBench): ScenarioProfile | null {
  if (chain.profileDirs === undefined) return null;
  const processes = chain.roles.map((role, i) => {
    const profile = readMainProfile(chain.profileDirs![i]!);
    if (profile === undefined) {
      // Reported, not fatal: the timings of the run stand without this scenario's shares.
      log(`warning: no CPU profile written by ${chain.scenario}/${chain.hops}hop/${role} in ${chain.profileDirs![i]}: no profile shares for ${chain.scenario}`);
      return null;
    }
    const windows = cells.map((c) => c.windows[i]!);
    const counted: ProfileCounts[] = countProfile(profile, build.distUrlPrefix, windows).windows;
    return summarizeShares(role, counted);
  });
  if (processes.some((p) => p === null)) return null;
  return { scenario: chain.scenario, hops: chain.hops, processes: processes as ProcessShare[] };
}

async function runOnRuntime(rt: BenchRuntime, primary: boolean, build: BuiltBench): Promise<RuntimeReport> {
  log(`\n=== Node ${rt.version} (${rt.source})${primary ? ' — primary' : ''}`);
  const skipped: { scenario: Scenario; reason: string }[] = [];
  const scenarios = cli.scenarios.filter((s) => {
    if ((s === 'nice-grpc' || s === 'nice-hand') && !existsIn('node_modules/nice-grpc')) {
      skipped.push({ scenario: s, reason: 'nice-grpc is not installed' });
      return false;
    }
    return true;
  });
  for (const s of skipped) log(`skipping ${s.scenario}: ${s.reason}`);
  const profRoot = cli.profile ? (cli.keepProfiles !== undefined ? join(cli.keepProfiles, `node-${rt.version}`) : mkdtempSync(join(tmpdir(), 'graylane-bench-prof-'))) : undefined;
  if (profRoot !== undefined) mkdirSync(profRoot, { recursive: true });
  const t0 = Date.now();
  const specs = cli.hops.flatMap((hops) => scenarios.map((scenario) => ({ scenario, hops })));
  const chains = await startAll(specs, (s, h) => startChain(s, h, {
    outDir: build.outDir,
    execPath: rt.bin,
    ...(profRoot === undefined ? {} : { cpuProfDir: profRoot }),
    ...(cli.cpuProfIntervalUs === undefined ? {} : { cpuProfIntervalUs: cli.cpuProfIntervalUs }),
  }));
  log(`started ${chains.size} chains (${chains.size * 4} processes on ${rt.bin}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const cells = new Map<Hops, Cells>(cli.hops.map((h) => [h, {}]));
  const profiles: ScenarioProfile[] = [];
  try {
    for (const spec of specs) {
      await chains.get(`${spec.scenario}/${spec.hops}`)!.client.request('closedLoop', { concurrency: phases.concurrency, maxCalls: 1e7, ms: warmPassMs }, warmPassMs + 30_000);
    }
    for (let round = 0; round < rounds; round++) {
      const order = scenarios.map((_, i) => scenarios[(i + round) % scenarios.length]!);
      const hopsOrder = round % 2 === 0 ? cli.hops : [...cli.hops].reverse();
      for (const hops of hopsOrder) {
        for (const scenario of order) {
          const res = await measure(chains.get(`${scenario}/${hops}`)!, phases);
          ((cells.get(hops)![scenario] ??= [])).push(res);
          log(`round ${round + 1}/${rounds} ${hops}-hop ${scenario.padEnd(16)} ${res.throughput.toFixed(0).padStart(6)} calls/s  ${res.cpuUsPerCall.toFixed(0).padStart(5)} µs CPU/call  p50 ${res.p50Us.toFixed(0)} µs  lost ${res.lostTags}${res.errors > 0 ? `  errors ${res.errors}: ${res.firstError ?? ''}` : ''}`);
        }
      }
    }
  } finally {
    // One chain at a time: each process writes its CPU profile as it exits, and 36 processes writing
    // long profiles at once on two cores outran the grace period (SIGKILL, no profile).
    for (const c of chains.values()) await c.stop();
  }
  if (profRoot !== undefined) {
    for (const spec of specs) {
      const p = chainShares(chains.get(`${spec.scenario}/${spec.hops}`)!, cells.get(spec.hops)![spec.scenario] ?? [], build);
      if (p !== null) profiles.push(p);
    }
    if (cli.keepProfiles === undefined) rmSync(profRoot, { recursive: true, force: true });
    else log(`profiles kept in ${profRoot} (npx tsx bench/profile-summary.ts ${profRoot})`);
  }

  let micro: MicroResult[] | null = null;
  let awaitCost: AwaitCost | null = null;
  let routingCost: RoutingCost | null = null;
  if (cli.micro) {
    log('micro benchmarks, await cost, routing cost…');
    const q = cli.quick ? ['--quick'] : [];
    const mod = (m: string): string => join(build.outDir, m);
    micro = (await runJsonChild(rt.bin, mod('micro.js'), q, 300_000)) as MicroResult[];
    const off = (await runJsonChild(rt.bin, mod('await-cost.js'), ['off', ...q], 120_000)) as AwaitCost['off'];
    const on = (await runJsonChild(rt.bin, mod('await-cost.js'), ['on', ...q], 120_000)) as AwaitCost['on'];
    awaitCost = { off, on, ratioValue: on.awaitValueNs / off.awaitValueNs, ratioAsyncCall: on.awaitAsyncCallNs / off.awaitAsyncCallNs };
    routingCost = (await runJsonChild(rt.bin, mod('routing-cost.js'), q, 180_000)) as RoutingCost;
  }
  const topologies = cli.hops.map((h) => summarizeTopology(h, scenarios, cells.get(h)!));
  return {
    node: rt.version,
    major: rt.major,
    source: rt.source,
    primary,
    scenarios,
    skipped,
    topologies,
    profiles: profRoot === undefined ? null : profiles,
    micro,
    awaitCost,
    routingCost,
    targets: evaluateTargets(rt.major, topologies.find((t) => t.hops === 3) ?? topologies[0], profRoot === undefined ? null : profiles),
    raw: Object.fromEntries(cli.hops.map((h) => [String(h), cells.get(h)!])),
    durationSec: (Date.now() - t0) / 1000,
  };
}

function existsIn(rel: string): boolean {
  try {
    readFileSync(join(REPO_ROOT, rel, 'package.json'));
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  if (cli.render !== undefined) {
    writeDocs(cli.out, log, JSON.parse(readFileSync(cli.render, 'utf8')) as BenchReport);
    return;
  }
  const t0 = Date.now();
  const load = loadavg();
  const build = prepareBuild(log);
  log(`graylane ${build.rebuilt ? 'rebuilt' : 'built'} at ${build.builtAt} (dist/); bench compiled to ${build.outDir}`);
  const runtimes = await resolveRuntimes(cli.node, log);
  if (runtimes.length === 0) throw new Error('no runtime to run on');
  log(`graylane bench: ${cli.scenarios.join(', ')} × ${cli.hops.map((h) => `${h}-hop`).join(', ')}, ${rounds} rounds on ${runtimes.map((r) => `Node ${r.version}`).join(' then ')}${cli.quick ? ' (quick)' : ''}`);
  const reports: RuntimeReport[] = [];
  for (const [i, rt] of runtimes.entries()) reports.push(await runOnRuntime(rt, i === 0, build));

  const pkg = (name: string): string => (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  const report: BenchReport = {
    tool: 'graylane-bench',
    schema: 2,
    date: new Date().toISOString(),
    mode: cli.custom ? 'custom' : cli.quick ? 'quick' : 'full',
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    graylane: { version: (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version, builtAt: build.builtAt },
    grpcJs: pkg('@grpc/grpc-js'),
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpuModel(),
    nproc: availableParallelism(),
    loadAvgAtStart: load,
    config: { rounds, warmPassMs, ...phases, profile: cli.profile, cpuProfIntervalUs: cli.cpuProfIntervalUs ?? 1000 },
    runtimes: reports,
    durationSec: (Date.now() - t0) / 1000,
  };
  if (cli.docs) writeDocs(cli.out, log, report);
  if (cli.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else log(consoleTable(report));
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
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
