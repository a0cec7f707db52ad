/**
 * Soak: N mixed calls (all four call types, each with its own stage `s-<worker>-<n>`) over a
 * 3-hop chain — A → B through grayClientInterceptor, B → C through forwardGrayMetadata (+
 * bindGrayContext on stream callbacks) — 64 in flight in all. Counts lost and crossed tags at every
 * recorded phase of every hop, failed calls, and heap growth after GC between a post-warm-up
 * baseline and the end. Exits non-zero on any lost / crossed tag, missing record, failed call,
 * heap growth over the target, or a SIGINT; a run cut by --max-seconds is reported as such.
 *
 * A chain lives in one process and keeps ~1.5 cores busy (measured: 2.5 ms of CPU per call on a
 * 2-core VM, 146 % CPU), so the calls are split over `--workers` processes (default: one per two
 * cores, so 1 on a 2-core machine), each with its own chain, its share of the calls and of the
 * concurrency, and seed `seed + worker`; the parent sums their counts. Heap growth is per process
 * (the largest is reported against the target).
 *
 *   node --expose-gc --import tsx soak/run.ts [--calls N | --quick] [--workers N] [--concurrency 64] [--max-seconds 540] [--seed 1] [--json]
 */
import * as grpc from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import { collect, hopClient, startServer, type HopClient, type HopReply, type RunningServer } from '../test/helpers/grpc.js';
import { hopImpl } from '../test/helpers/hop-service.js';
import { exitWith, flag, intArg, mulberry32, onSigint } from './common.js';

const argv = process.argv.slice(2);
const json = flag(argv, '--json');
const calls = flag(argv, '--quick') ? 20_000 : intArg(argv, '--calls', 1_000_000);
const concurrency = intArg(argv, '--concurrency', 64);
const maxSeconds = intArg(argv, '--max-seconds', 540);
const seed = intArg(argv, '--seed', 1);
// One chain process keeps ~1.5 cores busy (main thread + GC threads): one worker per two cores.
const workers = Math.min(intArg(argv, '--workers', Math.max(1, Math.floor(availableParallelism() / 2))), calls);
/** Set in a worker process: its index (0-based). Absent in the parent and in a single-process run. */
const workerIndex = argv.includes('--worker-index') ? intArg(argv, '--worker-index', 1) - 1 : -1;
const tag = workerIndex >= 0 ? `soak[${workerIndex}]` : 'soak';
const HEAP_TARGET_MB = 10;
const CALL_DEADLINE_MS = 20_000;
const TYPES = ['unary', 'serverStream', 'clientStream', 'bidi'] as const;
type CallType = (typeof TYPES)[number];
/** Replies and hop records a correct call produces, per type (see test/e2e/chain.test.ts). */
const EXPECTED: Record<CallType, { replies: number; records: number }> = {
  unary: { replies: 1, records: 8 },
  serverStream: { replies: 2, records: 16 },
  clientStream: { replies: 1, records: 14 },
  bidi: { replies: 2, records: 12 },
};

function getGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
const gc = getGc();
const mb = (bytes: number): number => Math.round((bytes / 1048576) * 100) / 100;
function settledHeap(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

const md = (stage: string): grpc.Metadata => {
  const m = new grpc.Metadata();
  m.set('x-release-stage', stage);
  return m;
};

function callOnce(entry: HopClient, type: CallType, stage: string): Promise<HopReply[]> {
  const options = { deadline: Date.now() + CALL_DEADLINE_MS };
  switch (type) {
    case 'unary':
      return new Promise((resolve, reject) =>
        entry.unary({ id: stage }, md(stage), options, (err, res) => (err ? reject(err) : resolve([res!]))));
    case 'serverStream':
      return collect<HopReply>(entry.serverStream({ id: stage, count: 2 }, md(stage), options));
    case 'clientStream':
      return new Promise((resolve, reject) => {
        const call = entry.clientStream(md(stage), (err, res) => (err ? reject(err) : resolve([res!])));
        call.write({ id: stage });
        call.end();
      });
    case 'bidi': {
      const call = entry.bidi(md(stage), options);
      const done = collect<HopReply>(call);
      call.write({ id: stage });
      call.write({ id: stage });
      call.end();
      return done;
    }
  }
}

interface Counters { completed: number; failed: number; lost: number; crossed: number; records: number; missing: number; byType: Record<CallType, number>; firstProblems: string[] }

function check(c: Counters, type: CallType, stage: string, replies: HopReply[]): void {
  const want = EXPECTED[type];
  let records = 0;
  for (const reply of replies) {
    for (const hop of reply.hops) {
      records++;
      if (hop.stage === 'stable' && !hop.explicit) {
        c.lost++;
        if (c.firstProblems.length < 5) c.firstProblems.push(`lost: ${type} ${stage} at ${hop.service}/${hop.phase}`);
      } else if (hop.stage !== stage) {
        c.crossed++;
        if (c.firstProblems.length < 5) c.firstProblems.push(`crossed: ${type} ${stage} saw ${hop.stage} at ${hop.service}/${hop.phase}`);
      }
    }
  }
  c.records += records;
  // A reply or record that never came back is a lost tag too: count it, never silently.
  if (replies.length !== want.replies || records !== want.records) {
    c.missing += Math.max(0, want.records - records);
    if (c.firstProblems.length < 5) c.firstProblems.push(`shape: ${type} ${stage} ${replies.length} replies / ${records} records`);
  }
}

async function main(): Promise<number> {
  const servers: RunningServer[] = [];
  const clients: HopClient[] = [];
  let stop = false;
  const offSigint = onSigint(() => {
    stop = true;
  });
  try {
    const interceptors = [grayServerInterceptor()];
    const c = await startServer(hopImpl('C'), { interceptors });
    servers.push(c);
    const toC = hopClient(c.address);
    clients.push(toC);
    const b = await startServer(hopImpl('B', { client: toC, mode: 'forward' }), { interceptors });
    servers.push(b);
    const toB = hopClient(b.address, { interceptors: [grayClientInterceptor()] });
    clients.push(toB);
    const a = await startServer(hopImpl('A', { client: toB, mode: 'interceptor' }), { interceptors });
    servers.push(a);
    const entry = hopClient(a.address);
    clients.push(entry);

    const loadavgAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
    const random = mulberry32(seed);
    const counters: Counters = { completed: 0, failed: 0, lost: 0, crossed: 0, records: 0, missing: 0, byType: { unary: 0, serverStream: 0, clientStream: 0, bidi: 0 }, firstProblems: [] };
    const warmup = Math.min(20_000, Math.max(500, Math.floor(calls * 0.02)));
    const started = performance.now();
    const deadline = started + maxSeconds * 1000;
    let next = 0;
    let baseline = 0;
    let baselineRss = 0;
    let peakRss = process.memoryUsage().rss;
    const checkpoints: Array<{ calls: number; heapMB: number; rssMB: number }> = [];
    const every = Math.max(1, Math.min(Math.floor(calls / 10), 25_000));
    let pausing: Promise<void> | undefined;
    let inFlight = 0;
    let drained: (() => void) | undefined;

    // Baseline and checkpoints are taken with no call in flight, so they measure retained memory only.
    const quiesce = async (): Promise<void> => {
      if (inFlight > 0) await new Promise<void>((r) => (drained = r));
    };
    const measure = async (done: number): Promise<void> => {
      await quiesce();
      await new Promise((r) => setImmediate(r));
      const heap = settledHeap();
      const rss = process.memoryUsage().rss;
      peakRss = Math.max(peakRss, rss);
      if (done === warmup) {
        baseline = heap;
        baselineRss = rss;
      }
      checkpoints.push({ calls: done, heapMB: mb(heap), rssMB: mb(rss) });
      process.stderr.write(`${tag}: ${done}/${calls} calls, ${Math.round((performance.now() - started) / 1000)} s, heap ${mb(heap)} MB, rss ${mb(rss)} MB, lost ${counters.lost}, crossed ${counters.crossed}, failed ${counters.failed}\n`);
    };

    const worker = async (): Promise<void> => {
      for (;;) {
        while (pausing !== undefined) await pausing;
        if (stop || next >= calls || performance.now() > deadline) return;
        const n = next++;
        const type = TYPES[Math.floor(random() * TYPES.length)]!;
        const stage = `s-${Math.max(0, workerIndex)}-${n}`;
        inFlight++;
        try {
          check(counters, type, stage, await callOnce(entry, type, stage));
        } catch (e) {
          counters.failed++;
          if (counters.firstProblems.length < 5) counters.firstProblems.push(`failed: ${type} ${stage}: ${(e as Error).message}`);
        } finally {
          inFlight--;
          if (inFlight === 0) drained?.();
        }
        counters.completed++;
        counters.byType[type]++;
        const issued = n + 1;
        if (issued === warmup || (issued > warmup && issued % every === 0 && issued !== calls)) {
          // Pause issuing, let every call in flight finish, measure, resume.
          pausing ??= measure(issued).finally(() => {
            pausing = undefined;
            drained = undefined;
          });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const durationMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 50));
    const endHeap = settledHeap();
    const endRss = process.memoryUsage().rss;
    peakRss = Math.max(peakRss, endRss);
    checkpoints.push({ calls: counters.completed, heapMB: mb(endHeap), rssMB: mb(endRss) });
    if (baseline === 0) {
      baseline = endHeap; // run shorter than the warm-up: no growth measurable
      baselineRss = endRss;
    }
    const growthMB = mb(endHeap - baseline);
    const finished = counters.completed === calls;
    const tagsOk = counters.lost === 0 && counters.crossed === 0 && counters.missing === 0 && counters.failed === 0;
    const heapOk = growthMB < HEAP_TARGET_MB;
    // Reaching --max-seconds is not a failure by itself (the run is bounded by design) but is
    // reported as `stoppedEarly`; a SIGINT is.
    const result: SoakResult = {
      ok: tagsOk && heapOk && (finished || !stop),
      calls,
      completed: counters.completed,
      workers: 1,
      concurrency,
      seed,
      byType: counters.byType,
      failed: counters.failed,
      lost: counters.lost,
      crossed: counters.crossed,
      missingRecords: counters.missing,
      recordsChecked: counters.records,
      durationMs: Math.round(durationMs),
      callsPerSecond: Math.round(counters.completed / (durationMs / 1000)),
      heap: { warmupCalls: warmup, baselineMB: mb(baseline), endMB: mb(endHeap), growthMB, targetMB: HEAP_TARGET_MB },
      rss: { baselineMB: mb(baselineRss), endMB: mb(endRss), peakMB: mb(peakRss) },
      checkpoints,
      problems: counters.firstProblems,
      stoppedEarly: !finished ? (stop ? 'SIGINT' : 'time limit') : null,
      node: process.version,
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavgAtStart, loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) },
    };
    output(result);
    return stop ? 130 : result.ok ? 0 : 1;
  } finally {
    offSigint();
    for (const client of clients) client.close();
    await Promise.all(servers.map((s) => s.close()));
  }
}


interface SoakResult {
  ok: boolean;
  calls: number;
  completed: number;
  workers: number;
  concurrency: number;
  seed: number;
  byType: Record<CallType, number>;
  failed: number;
  lost: number;
  crossed: number;
  missingRecords: number;
  recordsChecked: number;
  durationMs: number;
  callsPerSecond: number;
  heap: { warmupCalls: number; baselineMB: number; endMB: number; growthMB: number; targetMB: number };
  rss: { baselineMB: number; endMB: number; peakMB: number };
  checkpoints: Array<{ calls: number; heapMB: number; rssMB: number }>;
  problems: string[];
  stoppedEarly: string | null;
  node: string;
  machine: { cpus: number; model: string; loadavgAtStart: number[]; loadavgAtEnd: number[] };
  /** Each worker's own result (multi-process runs only). */
  perWorker?: SoakResult[];
}

function output(result: SoakResult): void {
  if (json || workerIndex >= 0) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const finished = result.completed === result.calls;
  const { heap } = result;
  console.log(`soak ${result.ok ? 'PASSED' : 'FAILED'}${finished ? '' : ' (INCOMPLETE)'}: ${result.completed}/${result.calls} calls in ${(result.durationMs / 1000).toFixed(1)} s (${result.callsPerSecond}/s, ${result.concurrency} in flight, ${result.workers} process${result.workers === 1 ? '' : 'es'})`);
  console.log(`  by type: ${TYPES.map((t) => `${t} ${result.byType[t]}`).join(', ')}`);
  console.log(`  tags: lost ${result.lost}, crossed ${result.crossed}, missing records ${result.missingRecords}, failed calls ${result.failed} (${result.recordsChecked} hop records checked)`);
  if (result.perWorker) {
    for (const [i, w] of result.perWorker.entries()) {
      console.log(`  heap after GC, worker ${i}: ${w.heap.baselineMB} MB after ${w.heap.warmupCalls} warm-up calls -> ${w.heap.endMB} MB at the end: growth ${w.heap.growthMB} MB; rss peak ${w.rss.peakMB} MB`);
    }
    console.log(`  largest heap growth: ${heap.growthMB} MB (target < ${heap.targetMB} MB per process)`);
  } else {
    console.log(`  heap after GC: ${heap.baselineMB} MB after ${heap.warmupCalls} warm-up calls -> ${heap.endMB} MB at the end: growth ${heap.growthMB} MB (target < ${heap.targetMB} MB)`);
    console.log(`  rss: ${result.rss.baselineMB} MB -> ${result.rss.endMB} MB (peak ${result.rss.peakMB} MB)`);
  }
  console.log(`  machine: ${result.machine.cpus} × ${result.machine.model}, load average ${result.machine.loadavgAtStart.join(' ')} -> ${result.machine.loadavgAtEnd.join(' ')}, node ${result.node}`);
  for (const p of result.problems) console.log(`  ! ${p}`);
  if (result.stoppedEarly) console.log(`  stopped early (${result.stoppedEarly}): ${result.calls - result.completed} calls not made; raise --max-seconds or lower --calls`);
}

/** Runs `workers` child processes of this script, each with its share of the calls, and sums their results. */
async function runWorkers(): Promise<number> {
  const script = process.argv[1]!;
  const loadavgAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const started = performance.now();
  // SIGINT reaches the children from the terminal; the parent only waits for their results.
  const offSigint = onSigint(() => undefined);
  try {
    const runs = Array.from({ length: workers }, (_, i) => {
      const share = Math.floor(calls / workers) + (i < calls % workers ? 1 : 0);
      const inFlight = Math.max(1, Math.floor(concurrency / workers) + (i < concurrency % workers ? 1 : 0));
      const args = [...process.execArgv, script, '--worker-index', String(i + 1), '--workers', '1', '--calls', String(share),
        '--concurrency', String(inFlight), '--max-seconds', String(maxSeconds), '--seed', String(seed + i)];
      return new Promise<SoakResult | Error>((resolve) => {
        const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.on('error', (e) => resolve(e));
        child.on('close', (code) => {
          const line = out.trim().split('\n').pop() ?? '';
          try {
            resolve(JSON.parse(line) as SoakResult);
          } catch {
            resolve(new Error(`worker ${i} exited with ${code} and no result`));
          }
        });
      });
    });
    const settled = await Promise.all(runs);
    const results = settled.filter((r): r is SoakResult => !(r instanceof Error));
    const errors = settled.filter((r): r is Error => r instanceof Error);
    const sum = (f: (r: SoakResult) => number): number => results.reduce((n, r) => n + f(r), 0);
    const durationMs = Math.round(performance.now() - started);
    const completed = sum((r) => r.completed);
    const worst = results.reduce<SoakResult | undefined>((w, r) => (w === undefined || r.heap.growthMB > w.heap.growthMB ? r : w), undefined);
    const stoppedEarly = results.find((r) => r.stoppedEarly === 'SIGINT') ? 'SIGINT' : results.find((r) => r.stoppedEarly) ? 'time limit' : null;
    const result: SoakResult = {
      ok: errors.length === 0 && results.every((r) => r.ok),
      calls,
      completed,
      workers,
      concurrency,
      seed,
      byType: Object.fromEntries(TYPES.map((t) => [t, sum((r) => r.byType[t])])) as Record<CallType, number>,
      failed: sum((r) => r.failed),
      lost: sum((r) => r.lost),
      crossed: sum((r) => r.crossed),
      missingRecords: sum((r) => r.missingRecords),
      recordsChecked: sum((r) => r.recordsChecked),
      durationMs,
      callsPerSecond: Math.round(completed / (durationMs / 1000)),
      heap: worst?.heap ?? { warmupCalls: 0, baselineMB: 0, endMB: 0, growthMB: 0, targetMB: HEAP_TARGET_MB },
      rss: { baselineMB: sum((r) => r.rss.baselineMB), endMB: sum((r) => r.rss.endMB), peakMB: sum((r) => r.rss.peakMB) },
      checkpoints: [],
      problems: [...errors.map((e) => e.message), ...results.flatMap((r) => r.problems)].slice(0, 10),
      stoppedEarly,
      node: process.version,
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavgAtStart, loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) },
      perWorker: results,
    };
    output(result);
    return stoppedEarly === 'SIGINT' ? 130 : result.ok ? 0 : 1;
  } finally {
    offSigint();
  }
}

exitWith(workers > 1 ? runWorkers() : main());
