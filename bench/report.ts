/**
 * Renders the reports: the console tables, docs/benchmarks.md (method, both runtimes, targets with
 * verdicts, profile shares, micro, scale) and the SVG chart. docs/benchmarks.md is rebuilt from
 * docs/benchmarks.json (`npm run bench`) and docs/benchmarks-scale.json (`npm run bench:scale`)
 * whenever either is written, so each bench updates its part and keeps the other's.
 * @packageDocumentation
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartSvg } from './chart-svg.js';
import { SCENARIO_LABELS, type Scenario } from './common.js';
import type { CellResult } from './chain.js';
import type { MicroResult } from './micro.js';
import type { ScaleReport } from './scale-summary.js';
import { CONNECT_METHOD, QUEUES_METHOD, connectSection, queuesSection, type QueuesReport } from './queues-summary.js';
import { fmt, fmtEstimate, type Estimate } from './stats.js';
import type { AwaitCost, RoutingCost, ScenarioProfile, Target, TopologySummary } from './summary.js';

/** Everything one runtime measured. */
export interface RuntimeReport {
  readonly node: string;
  readonly major: number;
  readonly source: string;
  readonly primary: boolean;
  readonly scenarios: readonly Scenario[];
  readonly skipped: readonly { readonly scenario: Scenario; readonly reason: string }[];
  readonly topologies: readonly TopologySummary[];
  readonly profiles: readonly ScenarioProfile[] | null;
  readonly micro: readonly MicroResult[] | null;
  readonly awaitCost: AwaitCost | null;
  readonly routingCost: RoutingCost | null;
  readonly targets: readonly Target[];
  /** Every measurement, by hops then scenario, in round order. */
  readonly raw: Record<string, Partial<Record<Scenario, CellResult[]>>>;
  readonly durationSec: number;
}

export interface BenchReport {
  readonly tool: 'graylane-bench';
  readonly schema: 2;
  readonly date: string;
  readonly mode: 'full' | 'quick' | 'custom';
  readonly command: string;
  readonly graylane: { readonly version: string; readonly builtAt: string };
  readonly grpcJs: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly nproc: number;
  readonly loadAvgAtStart: readonly number[];
  readonly config: Record<string, number | string | boolean>;
  /** Primary (Node 24) first. */
  readonly runtimes: readonly RuntimeReport[];
  readonly durationSec: number;
}

const pct = (e: Estimate | null | undefined): string => fmtEstimate(e, 2, 100);

function measured(t: Target): string {
  const digits = t.unit === 'ns' || t.unit === 'ms' ? 0 : t.unit === 'MB' ? 1 : 2;
  const e = t.estimate;
  if (e === null || e.value === null) return '–';
  const scale = t.scale ?? 1;
  return e.n <= 1 ? `${fmt(e.value * scale, digits)}` : fmtEstimate(e, digits, scale);
}

const VERDICT_TEXT: Record<Target['verdict'], string> = { met: '**met**', missed: '**missed**', unsettled: 'unsettled', 'n/a': 'n/a' };

function targetTable(targets: readonly Target[]): string {
  const rows = ['| target | measured: median [95 % interval] | bar | verdict |', '|---|---:|---:|---|'];
  for (const t of targets) {
    rows.push(`| ${t.description} | ${measured(t)} ${t.unit} | ${t.comparator} ${t.bar * (t.scale ?? 1)} ${t.unit} | ${VERDICT_TEXT[t.verdict]}${t.note === undefined ? '' : ` (${t.note})`} |`);
  }
  return rows.join('\n');
}

function topologyTable(t: TopologySummary): string {
  const rows = [
    '| scenario | baseline | CPU µs/call (all processes) | CPU ÷ baseline [95 %] | calls/s | throughput ÷ baseline [95 %] | p50 µs | p99 µs | lost tags | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of t.scenarios) {
    rows.push(`| ${s.scenario} | ${s.baseline ?? '–'} | ${fmt(s.medians.cpuUsPerCall, 0)} | ${fmtEstimate(s.cpuVsBaseline)} | ${fmt(s.medians.throughput, 0)} | ${fmtEstimate(s.throughputVsBaseline)} | ${fmt(s.medians.p50Us, 0)} | ${fmt(s.medians.p99Us, 0)} | ${s.lostTags ?? 'n/a'} | ${s.errors} |`);
  }
  return rows.join('\n');
}

function profileTable(profiles: readonly ScenarioProfile[]): string {
  const rows = ['| scenario | process | samples | graylane frames % [95 %] | async-context machinery % | GC % | grpc-js % |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const p of profiles) {
    for (const proc of p.processes) {
      rows.push(`| ${p.scenario}${p.hops === 3 ? '' : ` (${p.hops}-hop)`} | ${proc.role === 'C' ? 'C (leaf)' : proc.role} | ${proc.samples} | ${pct(proc.graylane)} | ${pct(proc.asyncContext)} | ${pct(proc.gc)} | ${pct(proc.grpcJs)} |`);
    }
  }
  return rows.join('\n');
}

function microTable(m: readonly MicroResult[]): string {
  const rows = ['| operation | ns/op | ± % |', '|---|---:|---:|'];
  for (const x of m) rows.push(`| ${x.group === 'baseline' ? '' : '**graylane** '}${x.name} | ${fmt(x.nsPerOp, 0)} | ${fmt(x.rme, 1)} |`);
  return rows.join('\n');
}

function runtimeSection(r: RuntimeReport): string {
  const parts = [`### Node ${r.node}${r.primary ? ' (primary)' : ''}`, '', `Binary: ${r.source}. ${fmt(r.durationSec, 0)} s.`, ''];
  for (const t of r.topologies) parts.push(`**${t.hops}-hop chain** (${t.scenarios[0]?.rounds ?? 0} rounds)`, '', topologyTable(t), '');
  if (r.profiles !== null) parts.push('**CPU-profile shares** (samples inside the throughput windows, idle excluded; per-round median [95 % interval])', '', profileTable(r.profiles), '');
  if (r.awaitCost !== null) {
    parts.push(`**await**: a bare \`await\` ${fmt(r.awaitCost.off.awaitValueNs, 0)} ns without an AsyncLocalStorage in use, ${fmt(r.awaitCost.on.awaitValueNs, 0)} ns with one (×${fmt(r.awaitCost.ratioValue)}); an \`await\` of an async call ${fmt(r.awaitCost.off.awaitAsyncCallNs, 0)} → ${fmt(r.awaitCost.on.awaitAsyncCallNs, 0)} ns (×${fmt(r.awaitCost.ratioAsyncCall)}).`, '');
  }
  if (r.routingCost !== null) {
    const c = r.routingCost;
    parts.push(`**routing** (one process, ${c.rounds} paired batches of ${c.batch} canary calls): direct ${fmt(c.directUsPerCall, 1)} µs, routed ${fmt(c.routedUsPerCall, 1)} µs CPU per call; routed − direct ${fmt(c.addedUsPerCall, 1)} µs (range ${fmt(c.addedMin, 1)} to ${fmt(c.addedMax, 1)}).`, '');
  }
  if (r.micro !== null) parts.push('**Micro benchmarks** (tinybench; each sample runs the operation 1,000 times)', '', microTable(r.micro), '');
  for (const s of r.skipped) parts.push(`Skipped ${s.scenario}: ${s.reason}.`, '');
  return parts.join('\n');
}

function scaleSection(s: ScaleReport | undefined): string {
  if (s === undefined) return '## Scale\n\n_Not measured yet by this harness: run `npm run bench:scale` on a quiet machine._\n';
  const parts = [
    '## Scale',
    '',
    `_\`${s.command}\` on ${s.date}, ${s.mode} run, Node ${s.node} (${s.source}), grpc-js ${s.grpcJs}, ${s.cpuModel}, ${s.nproc} cores, load ${s.loadAvgAtStart.map((l) => l.toFixed(2)).join(', ')} at start, ${fmt(s.durationSec, 0)} s._`,
    '',
    targetTable(s.targets),
    '',
  ];
  if (s.pick !== null) {
    parts.push(`**Balancer pick** (ns per pick; ${s.pick.rounds} rounds of ${s.pick.batch.toLocaleString('en-US')} picks, all sizes interleaved; every instance connected, ${fmt(s.pick.connectMs / 1000, 1)} s to connect them all)`, '');
    parts.push('| instances per stage | picker | ns per pick [95 %] | ÷ smallest size [95 %] |', '|---:|---|---:|---:|');
    for (const r of s.pick.rows) parts.push(`| ${r.size.toLocaleString('en-US')} | ${r.kind} | ${fmtEstimate(r.nsPerPick, 0)} | ${r.vsSmallest === null ? '–' : fmtEstimate(r.vsSmallest)} |`);
    parts.push('');
  }
  if (s.registries.length > 0) {
    parts.push('**Registries** (1,000 services × 10 instances, 8 stable + 2 canary; 1,000 watched services)', '');
    parts.push('| registry | instances | full load ms | heap added MB | RSS added MB | changes | not seen in 5 s | change → listener p50 ms [95 %] | p99 ms [95 %] |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of s.registries) parts.push(`| ${r.kind} | ${r.instances.toLocaleString('en-US')} | ${fmt(r.loadMs, 0)} | ${fmt(r.heapDeltaMb, 1)} | ${fmt(r.rssDeltaMb, 1)} | ${r.changes} | ${r.lost} | ${fmtEstimate(r.p50Ms, 1)} | ${fmtEstimate(r.p99Ms, 1)} |`);
    parts.push('');
  }
  for (const k of s.skipped) parts.push(`Skipped ${k}.`, '');
  return parts.join('\n');
}

/** The method: how the numbers are made and how a verdict is decided. Kept beside the code that does it. */
export const METHOD = `## Method

**What runs.** The built package: \`npm run bench\` first runs \`npm run build\` when \`dist/\` is missing or older than
any file in \`src/\`, then compiles the bench's own modules to plain JavaScript (\`bench/.out/\`) and runs every process of
every chain with plain \`node\` — no loader, no tsx — so \`import 'graylane/grpc-js'\` resolves, through the package's own
name and \`exports\`, to \`dist/\`, exactly as in an application. The chains run on **Node 24** (primary; the binary pinned
in \`scripts/runtimes.json\`, fetched and cached by \`scripts/runtimes.mjs\`, as \`npm test\` does) and then on **Node 20**
(this machine's \`node\`); each section below names the binary.

**The chain.** One unary method with raw \`Buffer\` messages, client → A → B → C, each a separate process on 127.0.0.1;
the client keeps 64 calls in flight and tags each with a stage (\`canary\`, \`blue\`, \`v2\` in turn). The leaf answers with
the stage it saw; the client counts **lost tags** (must be 0). Scenarios (each hop does):

| scenario | what each hop does |
|---|---|
${(Object.keys(SCENARIO_LABELS) as Scenario[]).map((s) => `| \`${s}\` | ${SCENARIO_LABELS[s]} |`).join('\n')}

**Rounds.** All chains start once. After a warm pass, each **round** measures every scenario once, in an order rotated
every round. One measurement: warm-up, concurrency-1 latency (p50, p99), then a **throughput window** at concurrency 64.
**CPU per call** is the user + system CPU (\`process.cpuUsage()\`) of the client and every hop over that window, summed,
divided by the calls completed in it.

**Ratios and intervals.** In each round a scenario's CPU per call is divided by its hand-written baseline's measured in
the same round (\`hand\` — read the key, set it on the next call's Metadata — and, for the nice-grpc middleware,
\`nice-hand\`, the same by hand in nice-grpc). Machine noise that lasts longer than a round hits both sides of a ratio
alike. The figure reported is the **median of the per-round ratios** with a **95 % bootstrap interval**: the rounds are
resampled with replacement 10,000 times (seeded, so the same rounds always give the same interval), the median of each
resample taken, and the 2.5th and 97.5th percentiles of those medians are the interval.

**Verdicts.** A bar "CPU ratio ≤ b" is **met** when the whole interval is at or below b, **missed** when the whole
interval is above b, and **unsettled** when the interval contains b (or fewer than 3 rounds stand behind it) — a
median on the right side of a bar is never reported as met by itself. Bars "≥ b" read the other way round. The bars
depend on the runtime: Node 24 and newer use the Node 24/26 column of the issue, older lines the Node 20 column.
A verdict without an interval (one measurement, e.g. a heap delta) says so.

**Profile shares.** Every chain process runs with \`--cpu-prof\` (a V8 sample every 1 ms). Each sample is attributed to
the frame that was running (self time). Only samples inside the throughput windows are counted — the profile's
timestamps and the windows' ends are on the same monotonic clock — and \`(idle)\` samples are not counted. The **graylane
share** is the fraction of a process's samples whose frame's script is in graylane's \`dist/\`: the CPU graylane's own
functions use. The **async-context share** counts Node's context machinery — \`node:async_hooks\`,
\`node:internal/async_hooks\` (the promise hooks AsyncLocalStorage turns on in Node 20),
\`node:internal/async_context_frame\` and \`node:internal/async_local_storage/*\` (Node 24's AsyncContextFrame) and the
native hook trampolines. Part of it runs in any Node process (async-resource bookkeeping around callbacks): the \`hand\`
rows show that floor, and the difference is what AsyncLocalStorage adds — cost graylane causes but whose frames are
Node's. GC and grpc-js are shown for scale. A share is a ratio within one process over the same instants, so load from
other processes, which slows everything in that process alike, barely moves it: it is the noise-robust figure. Each is
reported per round (median, 95 % interval) per process; the bar (≤ 2 % in graylane's frames, set for Node 24) must hold
on every hop. Profiling costs all scenarios alike; \`--no-profile\` turns it off.

**Micro benchmarks** run in their own processes on each runtime: tinybench, each sample runs the operation 1,000
times; the \`await\` cost in two fresh processes, with and without an AsyncLocalStorage in use; the routing cost with a
routed and a direct channel in one process.

**Scale** (\`npm run bench:scale\`, Node 24): the balancer's pick is timed alone — the picker of a real routed channel
(\`graylane:///…\`, static registry) whose N stable and N canary instances are N loopback ports all connected, reached
through grpc-js's channel internals — next to grpc-js's \`round_robin\` over the same N addresses, all sizes interleaved
per round. The registries hold 10,000 instances across 1,000 services, each service watched through \`watchService\` (what
a routed channel's resolver subscribes to): heap added after GC, full load time, and for sequential changes of one
instance's weight in a random service the time from the write (the whole file rewritten and renamed into place; one
etcd put, with etcd on a free loopback port) to that service's listener receiving the changed snapshot; p50 and p99
with bootstrap intervals (a change not seen within 5 s counts as 5 s; a bootstrap interval of a p99 cannot reach past
the slowest change observed, so read it with the number of changes). The pick bar (≤ 1 µs) is judged per size on the
slower of a canary and an untagged pick; "÷ smallest size" is the per-round ratio to the same picker at the smallest
size (1.00: flat). The heap bar is one measurement after GC, so its verdict has no interval.
`;

/** docs/benchmarks.md from the two reports (either may be missing). */
export function markdown(bench: BenchReport | undefined, scale: ScaleReport | undefined, queues?: QueuesReport, connect?: QueuesReport): string {
  const parts = [
    '# graylane benchmarks',
    '',
    '_Generated by `npm run bench`, `npm run bench:scale`, `npm run bench:queues` and `npm run bench:connect` (bench/report.ts). Do not edit by hand: re-run them; `npx tsx bench/run.ts --render docs/benchmarks.json` re-renders._',
    '',
  ];
  if (bench === undefined) {
    parts.push('## Results', '', '_Not measured yet by this harness: run `npm run bench` on a quiet machine (about 15 minutes)._', '');
  } else {
    parts.push(
      '## Machine',
      '',
      '| | |',
      '|---|---|',
      `| run | \`${bench.command}\`, ${bench.date}, ${bench.mode}, ${fmt(bench.durationSec, 0)} s |`,
      `| CPU | ${bench.cpuModel}, ${bench.nproc} cores (\`nproc\`), load ${bench.loadAvgAtStart.map((l) => l.toFixed(2)).join(', ')} at start |`,
      `| Node.js | ${bench.runtimes.map((r) => `${r.node}${r.primary ? ' (primary)' : ''}`).join(', ')} |`,
      `| graylane | ${bench.graylane.version}, dist/ built ${bench.graylane.builtAt} |`,
      `| @grpc/grpc-js | ${bench.grpcJs} |`,
      `| phases | ${bench.config.rounds} rounds; per measurement: warm-up ${bench.config.warmupMs} ms, latency ≤ ${bench.config.latencyCalls} calls, throughput ${bench.config.throughputMs} ms at ${bench.config.concurrency} in flight |`,
      '',
      '## Targets',
      '',
    );
    for (const r of bench.runtimes) parts.push(`**Node ${r.node}**`, '', targetTable(r.targets), '');
    parts.push('![3-hop CPU per call ÷ hand-written baseline, with 95 % intervals and the bars](benchmarks.svg)', '', '## Results by runtime', '');
    for (const r of bench.runtimes) parts.push(runtimeSection(r));
  }
  parts.push(scaleSection(scale), queuesSection(queues), connectSection(connect), METHOD, QUEUES_METHOD, '', CONNECT_METHOD, '', REPRODUCE);
  return `${parts.join('\n')}\n`;
}

const REPRODUCE = `## Reproduce

\`\`\`sh
npm run bench                      # full run, Node 24 then Node 20 (~15 min): rewrites docs/benchmarks.md, .svg, .json
npm run bench -- --quick           # ~2 min, indicative only; leaves docs/ alone (as any custom run does, unless --docs)
npm run bench -- --quick --node current --scenarios hand,graylane
npx tsx bench/run.ts --quick --json > report.json   # stdout is pure JSON (through npm, a banner line comes first)
npx tsx bench/run.ts --keep-profiles /tmp/prof --quick && npx tsx bench/profile-summary.ts /tmp/prof   # top frames
npm run bench:scale                # pick cost and registries at scale (Node 24): docs/benchmarks-scale.json
npm run bench:queues               # RabbitMQ, NATS JetStream, BullMQ: graylane vs by hand (Node 24): docs/benchmarks-queues.json
npm run bench:connect              # Connect-ES 3 hops, gRPC protocol: graylane vs by hand (Node 24): docs/benchmarks-connect.json
npx tsx bench/run.ts --render docs/benchmarks.json   # re-render the .md and .svg from the saved reports
\`\`\`
Options of \`bench/run.ts\`: \`--quick\`, \`--json\`, \`--node 24,20\` (or \`current\`), \`--scenarios a,b\`, \`--hops 1,3\`,
\`--rounds N\`, \`--throughput-ms N\`, \`--latency-calls N\`, \`--no-micro\`, \`--no-profile\`, \`--cpu-prof-interval µs\`,
\`--keep-profiles DIR\`, \`--docs\` / \`--no-docs\`, \`--out DIR\`, \`--render FILE.json\`. Of \`bench/scale.ts\`: \`--quick\`, \`--json\`,
\`--node\`, \`--sizes 1,10,100,1000\`, \`--no-etcd\`, \`--docs\` / \`--no-docs\`, \`--out DIR\`. Of \`bench/queues.ts\`: \`--quick\`, \`--json\`,
\`--node\`, \`--brokers rabbitmq,nats,bullmq\`, \`--rounds N\`, \`--messages N\`, \`--docs\` / \`--no-docs\`, \`--out DIR\`; of \`bench/connect.ts\`
the same without \`--brokers\`, \`--calls N\` for \`--messages N\`.`;

function readJson<T>(path: string, ok: (v: T) => boolean): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as T;
    return ok(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Saves the report(s) given as docs JSON in `dir` and re-renders benchmarks.md and .svg from both
 * JSON files (a report of an older schema counts as not measured yet).
 */
export function writeDocs(dir: string, log: (msg: string) => void, bench?: BenchReport, scale?: ScaleReport, queues?: QueuesReport, connect?: QueuesReport): void {
  mkdirSync(dir, { recursive: true });
  if (bench !== undefined) writeFileSync(join(dir, 'benchmarks.json'), `${JSON.stringify(bench, null, 2)}\n`);
  if (scale !== undefined) writeFileSync(join(dir, 'benchmarks-scale.json'), `${JSON.stringify(scale, null, 2)}\n`);
  const b = bench ?? readJson<BenchReport>(join(dir, 'benchmarks.json'), (v) => v.tool === 'graylane-bench' && v.schema === 2);
  const s = scale ?? readJson<ScaleReport>(join(dir, 'benchmarks-scale.json'), (v) => v.tool === 'graylane-bench-scale' && v.schema === 1);
  if (queues !== undefined) writeFileSync(join(dir, 'benchmarks-queues.json'), `${JSON.stringify(queues, null, 2)}\n`);
  const q = queues ?? readJson<QueuesReport>(join(dir, 'benchmarks-queues.json'), (v) => v.tool === 'graylane-bench-queues' && v.schema === 1);
  if (connect !== undefined) writeFileSync(join(dir, 'benchmarks-connect.json'), `${JSON.stringify(connect, null, 2)}\n`);
  const c = connect ?? readJson<QueuesReport>(join(dir, 'benchmarks-connect.json'), (v) => v.tool === 'graylane-bench-connect' && v.schema === 1);
  writeFileSync(join(dir, 'benchmarks.md'), markdown(b, s, q, c));
  if (b !== undefined) writeFileSync(join(dir, 'benchmarks.svg'), chartSvg(b));
  log(`wrote ${join(dir, 'benchmarks.md')}${b !== undefined ? ', benchmarks.svg' : ''}${bench !== undefined ? ', benchmarks.json' : ''}${scale !== undefined ? ', benchmarks-scale.json' : ''}`);
}

/** Plain-text tables for the terminal. */
export function consoleTable(r: BenchReport): string {
  const lines: string[] = [];
  for (const rt of r.runtimes) {
    lines.push(`\n=== Node ${rt.node}${rt.primary ? ' (primary)' : ''} — ${rt.source}`);
    for (const t of rt.topologies) {
      lines.push(`${t.hops}-hop, ${t.scenarios[0]?.rounds ?? 0} rounds; ratios = median [95 % bootstrap interval] of per-round ratios to the baseline`);
      lines.push(`${'scenario'.padEnd(17)} ${'base'.padEnd(9)} ${'cpu µs'.padStart(7)} ${'cpu ÷ base'.padStart(22)} ${'calls/s'.padStart(8)} ${'p50 µs'.padStart(7)} lost`);
      for (const s of t.scenarios) {
        lines.push(`${s.scenario.padEnd(17)} ${(s.baseline ?? '–').padEnd(9)} ${fmt(s.medians.cpuUsPerCall, 0).padStart(7)} ${fmtEstimate(s.cpuVsBaseline).padStart(22)} ${fmt(s.medians.throughput, 0).padStart(8)} ${fmt(s.medians.p50Us, 0).padStart(7)} ${s.lostTags ?? 'n/a'}${s.errors > 0 ? ` errors=${s.errors} (${s.firstError ?? ''})` : ''}`);
      }
    }
    if (rt.profiles !== null) {
      lines.push('profile shares in the throughput windows (graylane / async-context / GC, %, per-round median [95 %])');
      for (const p of rt.profiles) {
        for (const proc of p.processes) lines.push(`  ${`${p.scenario}/${proc.role}`.padEnd(20)} ${String(proc.samples).padStart(7)} samples  graylane ${pct(proc.graylane).padEnd(20)} async ${pct(proc.asyncContext).padEnd(20)} gc ${fmt((proc.gc.value ?? NaN) * 100, 1)}`);
      }
    }
    if (rt.micro !== null) for (const m of rt.micro) lines.push(`${fmt(m.nsPerOp, 0).padStart(8)} ns  ${m.name}`);
    lines.push('targets');
    for (const t of rt.targets) lines.push(`  ${t.verdict.padEnd(9)} ${t.description}: ${measured(t)} ${t.unit} (bar ${t.comparator} ${t.bar * (t.scale ?? 1)})${t.note === undefined ? '' : ` — ${t.note}`}`);
    for (const s of rt.skipped) lines.push(`skipped ${s.scenario}: ${s.reason}`);
  }
  lines.push(`\n${fmt(r.durationSec, 0)} s in all`);
  return lines.join('\n');
}

/** Plain-text table of the scale bench. */
export function scaleConsoleTable(s: ScaleReport): string {
  const lines = [`\nscale, Node ${s.node}`];
  if (s.pick !== null) for (const r of s.pick.rows) lines.push(`  pick ${String(r.size).padStart(5)} per stage  ${r.kind.padEnd(18)} ${fmtEstimate(r.nsPerPick, 0).padEnd(18)} ns  ÷ smallest ${r.vsSmallest === null ? '–' : fmtEstimate(r.vsSmallest)}`);
  for (const r of s.registries) lines.push(`  ${r.kind} registry: load ${fmt(r.loadMs, 0)} ms, heap +${fmt(r.heapDeltaMb, 1)} MB, change → listener p50 ${fmtEstimate(r.p50Ms, 1)} ms, p99 ${fmtEstimate(r.p99Ms, 1)} ms, ${r.lost} lost of ${r.changes}`);
  lines.push('targets');
  for (const t of s.targets) lines.push(`  ${t.verdict.padEnd(9)} ${t.description}: ${measured(t)} ${t.unit} (bar ${t.comparator} ${t.bar})${t.note === undefined ? '' : ` — ${t.note}`}`);
  for (const k of s.skipped) lines.push(`skipped ${k}`);
  lines.push(`${fmt(s.durationSec, 0)} s`);
  return lines.join('\n');
}
