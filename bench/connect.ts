/**
 * `npm run bench:connect`: CPU per call of a 3-hop Connect-ES chain (gRPC protocol) with
 * graylane/connect's interceptors vs hand-written forwarding (bench/connect-run.ts), on the built
 * package (Node 24 by default); bar ≤ 1.03×. A full run (10 rounds × 20,000 calls per variant)
 * writes docs/benchmarks-connect.json and re-renders docs/benchmarks.md; --quick (5 × 5,000) is indicative.
 * Usage: npx tsx bench/connect.ts [--quick] [--json] [--node 24|current] [--rounds N] [--calls N] [--docs | --no-docs] [--out DIR]
 * @packageDocumentation
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { prepareBuild } from './build.js';
import { REPO_ROOT, runJsonChild } from './procs.js';
import { writeDocs } from './report.js';
import { resolveRuntimes } from './runtimes.js';
import { connectSection, type QueuesReport } from './queues-summary.js';
import { bootstrapMedian, fmt, median, pairedRatios, spread, verdict } from './stats.js';
import { cpuModel } from './machine.js';

const argv = process.argv.slice(2);
const flag = (f: string): boolean => argv.includes(f);
const opt = (f: string): string | undefined => {
  const i = argv.indexOf(f);
  return i < 0 ? undefined : argv[i + 1];
};
const valued = ['--node', '--rounds', '--calls', '--out'];
const known = new Set(['--quick', '--json', '--docs', '--no-docs', ...valued]);
for (const [i, a] of argv.entries()) {
  if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a}`);
  if (!a.startsWith('--') && !valued.includes(argv[i - 1] ?? '')) throw new Error(`unexpected argument ${a}`);
}
const quick = flag('--quick');
const json = flag('--json');
const custom = ['--node', '--rounds', '--calls'].some(flag);
const docs = flag('--docs') || (!flag('--no-docs') && !quick && !custom);
const out = opt('--out') ?? join(REPO_ROOT, 'docs');
const rounds = Number(opt('--rounds') ?? (quick ? 5 : 10));
const calls = Number(opt('--calls') ?? (quick ? 5_000 : 20_000));
if (!(Number.isInteger(rounds) && rounds > 0 && Number.isInteger(calls) && calls > 0)) throw new Error('--rounds and --calls take positive integers');
const BAR = 1.03;
const log = (msg: string): void => {
  (json ? process.stderr : process.stdout).write(`${msg}\n`);
};


interface Run { cpuUsPerCall: number; callsPerSec: number; lost: number }

async function main(): Promise<void> {
  const t0 = Date.now();
  const load = loadavg();
  const build = prepareBuild(log);
  const [rt] = await resolveRuntimes([opt('--node') ?? '24'], log);
  if (rt === undefined) throw new Error('no runtime to run on');
  log(`graylane Connect bench on Node ${rt.version} (${rt.source})${quick ? ' (quick: indicative only)' : ''}: ${rounds} rounds × ${calls} calls`);
  const runs: Record<'hand' | 'graylane', Run[]> = { hand: [], graylane: [] };
  // Each measurement stops itself: a child gets a bounded time, 2 ms per call plus a minute.
  const timeout = 60_000 + calls * 2;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['hand', 'graylane'] as const) : (['graylane', 'hand'] as const);
    for (const variant of order) {
      runs[variant].push((await runJsonChild(rt.bin, join(build.outDir, 'connect-run.js'), [variant, String(calls), '2000'], timeout)) as Run);
    }
    log(`  round ${r + 1}/${rounds}: hand ${fmt(runs.hand.at(-1)!.cpuUsPerCall, 1)} µs/call, graylane ${fmt(runs.graylane.at(-1)!.cpuUsPerCall, 1)} µs/call`);
  }
  const cpu = (v: 'hand' | 'graylane') => runs[v].map((x) => x.cpuUsPerCall);
  const estimate = bootstrapMedian(pairedRatios(cpu('graylane'), cpu('hand')));
  const lost = [...runs.hand, ...runs.graylane].reduce((n, x) => n + x.lost, 0);
  const report: QueuesReport = {
    tool: 'graylane-bench-connect',
    schema: 1,
    date: new Date().toISOString(),
    mode: custom ? 'custom' : quick ? 'quick' : 'full',
    command: `npm run bench:connect${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    node: rt.version,
    source: rt.source,
    cpuModel: cpuModel(),
    nproc: availableParallelism(),
    loadAvgAtStart: load,
    rounds,
    messagesPerRound: calls,
    rows: [{
      broker: 'client → A → B → C',
      hand: spread(cpu('hand')),
      graylane: spread(cpu('graylane')),
      handRate: median(runs.hand.map((x) => x.callsPerSec)),
      graylaneRate: median(runs.graylane.map((x) => x.callsPerSec)),
      lost,
    }],
    skipped: [],
    targets: [{
      id: 'connect-3hop-cpu',
      description: 'Connect-ES 3 hops (gRPC protocol): CPU per call, graylane ÷ hand-written forwarding',
      estimate,
      comparator: '<=',
      bar: BAR,
      unit: '×',
      verdict: lost > 0 ? 'missed' : verdict(estimate, '<=', BAR),
      ...(lost > 0 ? { note: `${lost} tags lost` } : {}),
    }],
    durationSec: (Date.now() - t0) / 1000,
  };
  if (docs) writeDocs(out, log, undefined, undefined, undefined, report);
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else log(`\n${connectSection(report)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:connect failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
