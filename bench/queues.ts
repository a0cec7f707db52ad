/**
 * `npm run bench:queues`: CPU per message of publishing and consuming with graylane vs the same code
 * by hand, per broker (RabbitMQ, NATS JetStream, BullMQ/Redis on their standard loopback ports), on
 * the built package (Node 24 by default); bar ≤ 1.05×. A broker that does not answer is skipped
 * and said so. A full run (10 rounds × 10,000 messages per variant and broker) writes
 * docs/benchmarks-queues.json and re-renders docs/benchmarks.md; --quick (5 × 2,000) is indicative.
 * Usage: npx tsx bench/queues.ts [--quick] [--json] [--node 24|current] [--brokers rabbitmq,nats,bullmq] [--rounds N] [--messages N] [--docs | --no-docs] [--out DIR]
 * @packageDocumentation
 */
import { connect } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { prepareBuild } from './build.js';
import { REPO_ROOT, runJsonChild } from './procs.js';
import { writeDocs } from './report.js';
import { resolveRuntimes } from './runtimes.js';
import { queuesSection, type QueueBrokerRow, type QueuesReport } from './queues-summary.js';
import { bootstrapMedian, fmt, median, pairedRatios, spread, verdict } from './stats.js';
import type { Target } from './summary.js';
import { cpuModel } from './machine.js';

const argv = process.argv.slice(2);
const flag = (f: string): boolean => argv.includes(f);
const opt = (f: string): string | undefined => {
  const i = argv.indexOf(f);
  return i < 0 ? undefined : argv[i + 1];
};
const valued = ['--node', '--brokers', '--rounds', '--messages', '--out'];
const known = new Set(['--quick', '--json', '--docs', '--no-docs', ...valued]);
for (const [i, a] of argv.entries()) {
  if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a}`);
  if (!a.startsWith('--') && !valued.includes(argv[i - 1] ?? '')) throw new Error(`unexpected argument ${a}`);
}
const quick = flag('--quick');
const json = flag('--json');
const custom = ['--node', '--brokers', '--rounds', '--messages'].some(flag);
const docs = flag('--docs') || (!flag('--no-docs') && !quick && !custom);
const out = opt('--out') ?? join(REPO_ROOT, 'docs');
const rounds = Number(opt('--rounds') ?? (quick ? 5 : 10));
const messages = Number(opt('--messages') ?? (quick ? 2_000 : 10_000));
const BROKERS: Record<string, number> = { rabbitmq: 5672, nats: 4222, bullmq: 6379 };
const brokers = (opt('--brokers') ?? 'rabbitmq,nats,bullmq').split(',');
for (const b of brokers) if (!(b in BROKERS)) throw new Error(`--brokers takes rabbitmq, nats, bullmq; got ${b}`);
if (!(Number.isInteger(rounds) && rounds > 0 && Number.isInteger(messages) && messages > 0)) throw new Error('--rounds and --messages take positive integers');
const BAR = 1.05;
const log = (msg: string): void => {
  (json ? process.stderr : process.stdout).write(`${msg}\n`);
};

const answers = (port: number): Promise<boolean> => new Promise((done) => {
  const s = connect(port, '127.0.0.1', () => { s.destroy(); done(true); });
  s.on('error', () => done(false));
  s.setTimeout(2_000, () => { s.destroy(); done(false); });
});


interface Run { cpuUsPerMsg: number; msgPerSec: number; lost: number }

async function main(): Promise<void> {
  const t0 = Date.now();
  const load = loadavg();
  const build = prepareBuild(log);
  const [rt] = await resolveRuntimes([opt('--node') ?? '24'], log);
  if (rt === undefined) throw new Error('no runtime to run on');
  log(`graylane queue bench on Node ${rt.version} (${rt.source})${quick ? ' (quick: indicative only)' : ''}: ${rounds} rounds × ${messages} messages`);
  const rows: QueueBrokerRow[] = [];
  const targets: Target[] = [];
  const skipped: string[] = [];
  // Each measurement stops itself: a child gets a bounded time, 1 ms per message plus a minute.
  const timeout = 60_000 + messages * 1;
  for (const broker of brokers) {
    if (!(await answers(BROKERS[broker]!))) {
      skipped.push(`${broker}: nothing answers on 127.0.0.1:${BROKERS[broker]}`);
      log(`skipped ${broker}: nothing answers on 127.0.0.1:${BROKERS[broker]}`);
      continue;
    }
    const runs: Record<'hand' | 'graylane', Run[]> = { hand: [], graylane: [] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['hand', 'graylane'] as const) : (['graylane', 'hand'] as const);
      for (const variant of order) {
        runs[variant].push((await runJsonChild(rt.bin, join(build.outDir, 'queue-run.js'), [broker, variant, String(messages), '1000'], timeout)) as Run);
      }
      const h = runs.hand.at(-1)!;
      const g = runs.graylane.at(-1)!;
      log(`  ${broker} round ${r + 1}/${rounds}: hand ${fmt(h.cpuUsPerMsg, 1)} µs/msg, graylane ${fmt(g.cpuUsPerMsg, 1)} µs/msg`);
    }
    const cpu = (v: 'hand' | 'graylane') => runs[v].map((x) => x.cpuUsPerMsg);
    const estimate = bootstrapMedian(pairedRatios(cpu('graylane'), cpu('hand')));
    const lost = [...runs.hand, ...runs.graylane].reduce((n, x) => n + x.lost, 0);
    rows.push({
      broker,
      hand: spread(cpu('hand')),
      graylane: spread(cpu('graylane')),
      handRate: median(runs.hand.map((x) => x.msgPerSec)),
      graylaneRate: median(runs.graylane.map((x) => x.msgPerSec)),
      lost,
    });
    targets.push({
      id: `queues-${broker}-cpu`,
      description: `${broker}: CPU per message, graylane ÷ by hand (publish + consume)`,
      estimate,
      comparator: '<=',
      bar: BAR,
      unit: '×',
      verdict: lost > 0 ? 'missed' : verdict(estimate, '<=', BAR),
      ...(lost > 0 ? { note: `${lost} tags lost` } : {}),
    });
  }

  const report: QueuesReport = {
    tool: 'graylane-bench-queues',
    schema: 1,
    date: new Date().toISOString(),
    mode: custom ? 'custom' : quick ? 'quick' : 'full',
    command: `npm run bench:queues${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    node: rt.version,
    source: rt.source,
    cpuModel: cpuModel(),
    nproc: availableParallelism(),
    loadAvgAtStart: load,
    rounds,
    messagesPerRound: messages,
    rows,
    skipped,
    targets,
    durationSec: (Date.now() - t0) / 1000,
  };
  if (docs) writeDocs(out, log, undefined, undefined, report);
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else log(`\n${queuesSection(report)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:queues failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
