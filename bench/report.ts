/**
 * Renders a benchmark report: the console table, docs/benchmarks.md and the SVG chart of the
 * 3-hop ratios against hand-written forwarding.
 * @packageDocumentation
 */
import { SCENARIO_LABELS, type Scenario } from './common.js';
import type { MicroResult } from './micro.js';
import { fmt, fmtSpread } from './stats.js';
import type { AwaitCost, RoutingCost, Target, TopologySummary } from './summary.js';

export interface BenchReport {
  readonly tool: 'graylane-bench';
  readonly schema: 1;
  readonly date: string;
  readonly mode: 'full' | 'quick' | 'custom';
  readonly command: string;
  readonly node: string;
  readonly grpcJs: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly nproc: number;
  readonly loadAvgAtStart: readonly number[];
  readonly config: Record<string, number | string | boolean>;
  readonly scenarios: readonly Scenario[];
  readonly skipped: readonly { readonly scenario: Scenario; readonly reason: string }[];
  readonly topologies: readonly TopologySummary[];
  readonly micro: readonly MicroResult[] | null;
  readonly awaitCost: AwaitCost | null;
  readonly routingCost: RoutingCost | null;
  readonly targets: readonly Target[];
  readonly durationSec: number;
}

function topologyTable(t: TopologySummary): string {
  const rows = [
    '| scenario | throughput (calls/s) | vs hand | vs raw | CPU µs/call (all processes) | vs hand | vs raw | p50 µs | p50 vs hand | p99 µs | lost tags | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of t.scenarios) {
    rows.push(`| ${s.scenario} | ${fmt(s.medians.throughput, 0)} | ${fmtSpread(s.vsHand?.throughput)} | ${fmtSpread(s.vsRaw?.throughput)} | ${fmt(s.medians.cpuUsPerCall, 0)} | ${fmtSpread(s.vsHand?.cpuPerCall)} | ${fmtSpread(s.vsRaw?.cpuPerCall)} | ${fmt(s.medians.p50Us, 0)} | ${fmtSpread(s.vsHand?.p50)} | ${fmt(s.medians.p99Us, 0)} | ${s.lostTags === null ? 'n/a' : s.lostTags} | ${s.errors} |`);
  }
  return rows.join('\n');
}

function targetRows(targets: readonly Target[]): string {
  const rows = ['| target | measured (median, range) | bar | status |', '|---|---:|---:|---|'];
  for (const t of targets) {
    const measured = t.range !== null && t.range.median !== null ? `${fmtSpread(t.range)} ${t.unit}` : `${fmt(t.value, t.unit === 'ns' ? 0 : 2)} ${t.unit}`;
    rows.push(`| ${t.description} | ${measured} | ${t.comparator} ${t.threshold} ${t.unit} | **${t.status}**${t.rangeCrossesBar ? ' (range crosses the bar: not settled)' : ''}${t.note === undefined ? '' : ` — ${t.note}`} |`);
  }
  return rows.join('\n');
}

/** Plain-text table for the terminal. */
export function consoleTable(r: BenchReport): string {
  const lines: string[] = [];
  for (const t of r.topologies) {
    lines.push(`\n${t.hops}-hop (median of ${t.scenarios[0]?.reps ?? 0} reps; ratios = median (min–max) of per-rep ratios)`);
    lines.push(`${'scenario'.padEnd(17)} ${'calls/s'.padStart(8)} ${'thr/hand'.padStart(18)} ${'cpu µs'.padStart(7)} ${'cpu/hand'.padStart(18)} ${'p50 µs'.padStart(7)} ${'p99 µs'.padStart(7)} lost`);
    for (const s of t.scenarios) {
      lines.push(`${s.scenario.padEnd(17)} ${fmt(s.medians.throughput, 0).padStart(8)} ${fmtSpread(s.vsHand?.throughput).padStart(18)} ${fmt(s.medians.cpuUsPerCall, 0).padStart(7)} ${fmtSpread(s.vsHand?.cpuPerCall).padStart(18)} ${fmt(s.medians.p50Us, 0).padStart(7)} ${fmt(s.medians.p99Us, 0).padStart(7)} ${s.lostTags ?? 'n/a'}${s.errors > 0 ? ` errors=${s.errors} (${s.firstError ?? ''})` : ''}`);
    }
  }
  if (r.micro !== null) {
    lines.push('\nmicro (ns/op)');
    for (const m of r.micro) lines.push(`${fmt(m.nsPerOp, 0).padStart(8)}  ${m.name}`);
  }
  if (r.awaitCost !== null) {
    lines.push(`\nawait (ns): no ALS ${fmt(r.awaitCost.off.awaitValueNs, 0)}, with ALS ${fmt(r.awaitCost.on.awaitValueNs, 0)} (×${fmt(r.awaitCost.ratioValue)})`);
  }
  lines.push('\ntargets');
  for (const t of r.targets) lines.push(`${t.status.padEnd(7)} ${t.description}: ${fmt(t.value, t.unit === 'ns' ? 0 : 2)} ${t.unit} (bar ${t.comparator} ${t.threshold})${t.rangeCrossesBar ? ' — range crosses the bar' : ''}`);
  for (const s of r.skipped) lines.push(`skipped ${s.scenario}: ${s.reason}`);
  return lines.join('\n');
}

function micro(r: BenchReport): string {
  if (r.micro === null) return '_Not run (`--no-micro`)._';
  const rows = ['| operation | ns/op | ± % |', '|---|---:|---:|'];
  for (const m of r.micro) rows.push(`| ${m.group === 'baseline' ? '' : '**graylane** '}${m.name} | ${fmt(m.nsPerOp, 0)} | ${fmt(m.rme, 1)} |`);
  return rows.join('\n');
}

function routingSection(r: BenchReport): string {
  const c = r.routingCost;
  if (c === null) return '### Routing cost\n\n_Not measured in this run (needs `routing` in `--scenarios` and the micro phase)._';
  return [
    '### Routing cost',
    '',
    `\`bench/routing-cost.ts\`: one process, one server, two clients with \`grayClientInterceptor\` — one dialing the address, one`,
    `\`graylane:///${'bench.next'}\` (resolver + stage-aware pick) — called in ${c.rounds} alternating batches of ${c.batch} canary calls.`,
    `CPU per call (client and server together): direct ${fmt(c.directUsPerCall, 1)} µs, routed ${fmt(c.routedUsPerCall, 1)} µs;`,
    `routing adds **${fmt(c.addedUsPerCall, 1)} µs** per call (median of paired batches; range ${fmt(c.addedMin, 1)} to ${fmt(c.addedMax, 1)} µs).`,
  ].join('\n');
}

function ns(r: BenchReport, name: string): string {
  return fmt(r.micro?.find((m) => m.name === name)?.nsPerOp, 0);
}

function whereTimeGoes(r: BenchReport): string {
  const three = r.topologies.find((t) => t.hops === 3);
  const cpu = (s: Scenario): number | null => three?.scenarios.find((x) => x.scenario === s)?.medians.cpuUsPerCall ?? null;
  const g = cpu('graylane');
  const h = cpu('hand');
  const diff = g !== null && h !== null ? g - h : null;
  const delta = diff === null ? 'n/a CPU' : `${fmt(Math.abs(diff), 1)} µs ${diff >= 0 ? 'more' : 'less'} CPU`;
  return [
    `In this run graylane's 3-hop chain used ${delta} per chain call than hand-written forwarding (medians; the`,
    'paired ratios above are the better measure). Per call, graylane does on each hop:',
    '',
    `1. **Server interceptor** — wraps the server listener and runs each listener callback in \`als.run\``,
    `   (${ns(r, 'als.run(store, fn)')} ns each, 3 callbacks per unary call) after \`extractGrayContext\``,
    `   (${ns(r, 'extractGrayContext(md), stage only')} ns stage only; ${ns(r, "extractGrayContext(md), keyPrefix 'x-gray-' (6 keys)")} ns with a key prefix,`,
    '   which walks every key of the incoming metadata).',
    `2. **Client interceptor** — an extra grpc-js \`InterceptingCall\` layer per outgoing call. The layer alone (pass-through`,
    `   interceptor) costs ${ns(r, 'pass-through client interceptor: InterceptingCall + start')} ns; graylane's costs`,
    `   ${ns(r, 'grayClientInterceptor: InterceptingCall + start (merge) in a context')} ns in a context: it copies the caller's`,
    `   \`Metadata\` (\`clone()\`: ${ns(r, 'Metadata.clone() (3 keys)')} ns for 3 keys) before adding the stage, and wraps the response`,
    '   listener so response callbacks run in the caller\'s context (3 more `als.run`).',
    `3. **forwardGrayMetadata** — \`forwardGrayMetadata(call)\` ${ns(r, 'forwardGrayMetadata(call)')} ns re-reads the call's metadata;`,
    `   \`forwardGrayMetadata()\` from the context ${ns(r, 'forwardGrayMetadata() in a context')} ns; hand-written`,
    `   (\`md.get(key)[0]\` + \`new Metadata()\` + \`set\`) ${ns(r, 'hand-written: md.get(key)[0] + new Metadata() + set')} ns.`,
    `4. **AsyncLocalStorage itself** — on Node ${r.node} merely using an ALS turns on promise hooks for the whole process:`,
    r.awaitCost === null
      ? '   (not measured in this run).'
      : `   a bare \`await\` costs ${fmt(r.awaitCost.off.awaitValueNs, 0)} ns without and ${fmt(r.awaitCost.on.awaitValueNs, 0)} ns with one (×${fmt(r.awaitCost.ratioValue)}); an \`await\` of an async call ${fmt(r.awaitCost.off.awaitAsyncCallNs, 0)} → ${fmt(r.awaitCost.on.awaitAsyncCallNs, 0)} ns (×${fmt(r.awaitCost.ratioAsyncCall)}). The bench handlers are callback-style, so the chain numbers above do **not** include this; a handler with N awaits pays about N × the difference. Node 22+ (AsyncContextFrame, default in 24) removes most of it.`,
    '',
    'The rest of a call — HTTP/2 framing, the buffer copy, the event loop — is the same in every scenario; it is why 1-hop',
    'ratios sit close to 1.00 and why the 3-hop chain, which does not saturate two cores, is compared on CPU per call.',
    'At 1 hop, `routing` runs only a leaf (no routed downstream call): it is the same code as `graylane` and works as an A/A',
    'check of the noise.',
    '',
    '### CPU profiles of the hops (evidence for the above)',
    '',
    '`npx tsx bench/run.ts --no-docs --no-micro --hops 3 --scenarios hand,graylane --reps 2 --throughput-ms 4000 --cpu-prof /tmp/prof`',
    '(and the same with `hand,graylane-call,otel-off`),',
    'then `npx tsx bench/profile-summary.ts /tmp/prof` (self time by area, per hop process). On Node 20.20 / grpc-js 1.14.7',
    '(2-core VM, 2026-11-22; shares of each process\'s busy CPU):',
    '',
    '| hop | graylane code | async_hooks frames (AsyncLocalStorage) | GC | grpc-js |',
    '|---|---:|---:|---:|---:|',
    '| A, graylane / hand | 1.3 % / – | 3.9 % / 0.1 % | 12.5 % / 11.6 % | 21.9 % / 23.4 % |',
    '| B, graylane / hand | 1.1 % / – | 3.5 % / 0.0 % | 12.9 % / 13.1 % | 21.2 % / 21.3 % |',
    '| C (leaf), graylane / hand | 1.8 % / – | 4.6 % / 0.0 % | 11.0 % / 9.3 % | 12.3 % / 14.0 % |',
    '| B, graylane-call (no ALS) | 0.7 % | 0.0 % | 10.7 % | 22.4 % |',
    '| B, otel-off | 10.6 % OpenTelemetry code | 3.0 % | 9.9 % | 18.1 % |',
    '',
    'graylane\'s own functions (interceptor `start`, listener forwarding, `extractGrayContext`) are 1–2 % of a hop\'s CPU.',
    'The larger part of its overhead is **Node 20\'s async_hooks machinery**, switched on by using an AsyncLocalStorage at all:',
    '`emitInitNative`/`emitInitScript`, `callbackTrampoline`, `lookupPublicResource`, `promiseInitHook` and `_propagate` run',
    'for every async resource (HTTP/2 streams, writes, promises inside grpc-js), 3.5–4.6 % of each hop — plus some GC from',
    'per-call objects. No change inside graylane\'s interceptors removes that part; two things do: Node 22+ (AsyncContextFrame,',
    'the default in Node 24), or the `graylane-call` style — `forwardGrayMetadata(call)` on a plain server, which never creates',
    'the AsyncLocalStorage (the price: no `getReleaseStage()` in the handler; read the stage with',
    '`extractGrayContext(call.metadata, grpcMetadataCarrier)`). OpenTelemetry\'s context manager pays the same tax.',
    '',
    'Within graylane\'s own share, `Metadata.set` dominates: grpc-js validates key and value with regexes on every `set`',
    '(~150 ns). So graylane builds the Metadata of each *shared* per-stage context once and hands out `clone()`s',
    '(`forwardGrayMetadata`, and the client interceptor when the caller set none of the keys): in an A/B of the micro',
    'benchmarks on the 2-core VM this took `forwardGrayMetadata(call)` from ~260–290 ns to ~140–160 ns and',
    '`forwardGrayMetadata()` from ~190 to ~100–130 ns. `bench/lean-client-interceptor.ts` (scenario `graylane-lean`, opt-in) tries a thin forwarding',
    'call instead of a grpc-js `InterceptingCall` layer; it saves ~80 ns per outgoing call — too little to see in the chain.',
  ].join('\n');
}

/** docs/benchmarks.md */
export function markdown(r: BenchReport): string {
  const cfg = r.config;
  const busy = (r.loadAvgAtStart[0] ?? 0) > 0.5 * r.nproc;
  const noisy = [
    r.mode !== 'full' ? `> **${r.mode} run — indicative only.** Short phases and few repetitions; re-run \`npx tsx bench/run.ts\` on a quiet machine for publishable numbers.` : '',
    busy ? `> **Busy machine:** load average ${r.loadAvgAtStart[0]?.toFixed(2)} on ${r.nproc} cores when the run started; other work shared the CPUs, so ranges are wide. Re-run on a quiet machine.` : '',
  ].filter(Boolean).map((l) => `\n${l}\n`).join('');
  const scenarioRows = r.scenarios.map((s) => `| \`${s}\` | ${SCENARIO_LABELS[s]} |`).join('\n');
  const skipped = r.skipped.length === 0 ? '' : `\nSkipped: ${r.skipped.map((s) => `\`${s.scenario}\` (${s.reason})`).join('; ')}.\n`;
  return `# graylane benchmarks

_Generated by \`${r.command}\` on ${r.date} in ${fmt(r.durationSec, 0)} s. Do not edit by hand: re-run the harness._
${noisy}
## Machine

| | |
|---|---|
| CPU | ${r.cpuModel} |
| cores (\`nproc\`) | ${r.nproc} |
| load average at start | ${r.loadAvgAtStart.map((l) => l.toFixed(2)).join(', ')} |
| Node.js | ${r.node} |
| @grpc/grpc-js | ${r.grpcJs} |
| platform | ${r.platform} |

## Method

- Every scenario runs the same unary method with raw \`Buffer\` messages over a **1-hop** (client → A) and a **3-hop**
  chain (client → A → B → C). The client and every hop are **separate processes** on 127.0.0.1.
- The client tags each call with a stage (\`canary\`, \`blue\`, \`v2\` in turn; metadata \`x-release-stage\`, or OTel
  baggage in the OTel scenarios). The leaf answers with the stage it saw; the client counts **lost tags** (must be 0;
  \`raw\` does not forward by design, so it is not counted).
- **Interleaved:** all chains start once; each of ${cfg.reps} repetitions measures every scenario and topology in turn,
  the order rotated every repetition. After a ${cfg.warmPassMs} ms warm pass per chain, each measurement is:
  warm-up (≤ ${cfg.warmupCalls} calls / ${cfg.warmupMs} ms), **latency** at concurrency 1 (≤ ${cfg.latencyCalls} calls /
  ${cfg.latencyMs} ms; p50, p99), **throughput** at concurrency ${cfg.concurrency} (${cfg.throughputMs} ms, ≤ ${cfg.throughputMaxCalls} calls).
- **CPU per call:** \`process.cpuUsage()\` (user + system) of the client and every hop, read over IPC before and after
  the throughput phase, summed and divided by completed calls.
- **Ratios** are computed per repetition against \`hand\` and \`raw\` measured in the same repetition, then summarised as
  **median (min–max)**. Throughput ratios > 1 and CPU/latency ratios < 1 are better.
- graylane runs from src/ under tsx (as the tests do). esbuild's transform there wraps closures in a \`__name\` helper (a
  \`defineProperty\` each time a closure is created) that the tsup build does not have: a slight handicap for graylane
  code that creates closures per call, negligible in the chains.
- Micro benchmarks: tinybench, each sample runs the operation 1,000 times; the \`await\` cost runs in two fresh
  processes (with and without an AsyncLocalStorage in use); the routing cost runs in its own process (below).

| scenario | what each hop does |
|---|---|
${scenarioRows}
${skipped}
## Targets (issue 8)

${targetRows(r.targets)}

![3-hop ratios vs hand-written forwarding](benchmarks.svg)

${r.topologies.map((t) => `## ${t.hops}-hop chain\n\n${topologyTable(t)}`).join('\n\n')}

## Micro benchmarks

${micro(r)}

${routingSection(r)}

## Where the time goes

${whereTimeGoes(r)}

## Reproduce

\`\`\`sh
npm run bench                   # full run (~6–8 min), rewrites docs/benchmarks.md, .svg and .json
npm run bench -- --quick        # ~1.5 min, indicative only; leaves docs/ alone (as any custom run does, unless --docs)
npx tsx bench/run.ts --quick --json > report.json   # stdout is pure JSON (through npm, a banner line would come first)
npx tsx bench/run.ts --quick --json --scenarios hand,graylane,otel-off
npx tsx bench/run.ts --render docs/benchmarks.json   # re-render the .md and .svg from a saved report
\`\`\`
Options: \`--quick\`, \`--json\` (JSON on stdout, progress on stderr), \`--scenarios a,b\` (add \`graylane-lean\` for the
experiment), \`--hops 1,3\`, \`--reps N\`, \`--throughput-ms N\`, \`--latency-calls N\`, \`--no-micro\`, \`--docs\` / \`--no-docs\`, \`--out DIR\`,
\`--cpu-prof DIR\` (then \`npx tsx bench/profile-summary.ts DIR\`), \`--render FILE.json\`. The full report is also saved as
\`docs/benchmarks.json\`.
`;
}
