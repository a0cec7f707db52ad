/**
 * The paired graylane-vs-hand benches' reports and their sections of docs/benchmarks.md: the queue
 * bench (docs/benchmarks-queues.json; per broker, CPU µs per message of publish + consume) and the
 * Connect bench (docs/benchmarks-connect.json; CPU µs per call of a 3-hop chain): each row with
 * graylane and by hand, the per-round ratio with its bootstrap interval, and the bar's verdict.
 * @packageDocumentation
 */
import { fmt, fmtEstimate, fmtSpread, type Spread } from './stats.js';
import type { Target } from './summary.js';

/** One broker's measurements. */
export interface QueueBrokerRow {
  readonly broker: string;
  readonly hand: Spread;
  readonly graylane: Spread;
  /** Messages per second (median over rounds) with each. */
  readonly handRate: number | null;
  readonly graylaneRate: number | null;
  /** Messages whose handler ran in another stage than published, over all rounds (both variants). */
  readonly lost: number;
}

export interface QueuesReport {
  readonly tool: 'graylane-bench-queues' | 'graylane-bench-connect';
  readonly schema: 1;
  readonly date: string;
  readonly mode: 'full' | 'quick' | 'custom';
  readonly command: string;
  readonly node: string;
  readonly source: string;
  readonly cpuModel: string;
  readonly nproc: number;
  readonly loadAvgAtStart: readonly number[];
  readonly rounds: number;
  readonly messagesPerRound: number;
  readonly rows: readonly QueueBrokerRow[];
  readonly skipped: readonly string[];
  readonly targets: readonly Target[];
  readonly durationSec: number;
}

const VERDICT_TEXT: Record<Target['verdict'], string> = { met: '**met**', missed: '**missed**', unsettled: 'unsettled', 'n/a': 'n/a' };

/** The "Message queues" section of docs/benchmarks.md. */
export function queuesSection(q: QueuesReport | undefined): string {
  return pairSection(q, '## Message queues', '`npm run bench:queues` on a quiet machine with RabbitMQ, NATS (JetStream) and Redis on their loopback ports', 'broker', 'msg', 'messages per variant and broker');
}

/** The "Connect" section of docs/benchmarks.md. */
export function connectSection(q: QueuesReport | undefined): string {
  return pairSection(q, '## Connect-ES (3 hops, gRPC protocol)', '`npm run bench:connect` on a quiet machine', 'chain', 'call', 'calls per variant');
}

function pairSection(q: QueuesReport | undefined, title: string, howTo: string, what: string, unit: string, per: string): string {
  if (q === undefined) return `${title}\n\n_Not measured yet by this harness: run ${howTo}._\n`;
  const parts = [
    title,
    '',
    `_\`${q.command}\` on ${q.date}, ${q.mode} run${q.mode === 'full' ? '' : ' (indicative only)'}, Node ${q.node} (${q.source}), ${q.cpuModel}, ${q.nproc} cores, load ${q.loadAvgAtStart.map((l) => l.toFixed(2)).join(', ')} at start, ${q.rounds} rounds × ${q.messagesPerRound.toLocaleString('en-US')} ${per}, ${fmt(q.durationSec, 0)} s._`,
    '',
    '| target | measured: median [95 % interval] | bar | verdict |',
    '|---|---:|---:|---|',
    ...q.targets.map((t) => `| ${t.description} | ${fmtEstimate(t.estimate)} ${t.unit} | ${t.comparator} ${t.bar} ${t.unit} | ${VERDICT_TEXT[t.verdict]}${t.note === undefined ? '' : ` (${t.note})`} |`),
    '',
    `| ${what} | by hand: CPU µs/${unit}, median (min–max) | graylane | ${unit}/s by hand | ${unit}/s graylane | tags lost |`,
    '|---|---:|---:|---:|---:|---:|',
    ...q.rows.map((r) => `| ${r.broker} | ${fmtSpread(r.hand, 1)} | ${fmtSpread(r.graylane, 1)} | ${fmt(r.handRate, 0)} | ${fmt(r.graylaneRate, 0)} | ${r.lost} |`),
    '',
  ];
  for (const s of q.skipped) parts.push(`Skipped ${s}.`, '');
  return parts.join('\n');
}

/** How the queue numbers are made (appended to the Method section). */
export const QUEUES_METHOD = `**Message queues** (\`npm run bench:queues\`, Node 24, built package): per broker — RabbitMQ (amqplib) on 127.0.0.1:5672,
NATS JetStream on 127.0.0.1:4222, BullMQ on the Redis at 127.0.0.1:6379 — one fresh process per measurement publishes N
messages (¾ inside a stage: canary, blue, v2; ¼ outside any; at most 256 in flight) to a queue / stream / BullMQ queue of
its own and consumes them all in the same process (RabbitMQ prefetch 256, a JetStream pull consumer pulling 256, a BullMQ
worker at concurrency 50); each handler checks it runs in the stage the body names. CPU is the process's user + system
time from the first publish to the last handler, over N: the client side of publishing and consuming (the broker's own
CPU is not counted — it is the same for both). "By hand" is the same code with an AsyncLocalStorage of its own: the stage
stamped into one header (BullMQ: \`opts.graylane\`, where graylane keeps it), read back, checked against a pattern, the
handler run in it and acked after it. Each round runs hand and graylane back to back (order alternating) after a warm-up
of 1,000 messages each; the ratio is per round, judged on its bootstrap interval like every bar here. Lanes are not in
this bench (they add one registry lookup per publish).`;

/** How the Connect numbers are made (appended to the Method section). */
export const CONNECT_METHOD = `**Connect-ES** (\`npm run bench:connect\`, Node 24, built package): one fresh process per measurement runs a 3-hop
chain — a load client → A → B → C, Connect-ES 2 servers (connect-node on HTTP/2, loopback) whose A and B forward each
unary call to the next over the **gRPC protocol** (\`createGrpcTransport\`) — at 32 calls in flight, each call sending a
stage (canary, blue, v2) the leaf echoes back. graylane: \`grayServerInterceptor({ trustIncoming: true })\` on every
router and \`grayClientInterceptor()\` on every transport. By hand: the header read, checked against a pattern and run in
with an AsyncLocalStorage of its own on each server, set on each outgoing call. CPU is the whole process's (all hops and
the client: one process, so the ratio reads as graylane's share of the chain) user + system time over the calls, after
a warm-up of 2,000 calls; rounds alternate the order; ratio per round, bootstrap interval, bar ≤ 1.03×.`;
