/**
 * Soak: N mixed calls (all four call types, each with its own stage `s-<n>`) over a 3-hop chain
 * in one process — A → B through grayClientInterceptor, B → C through forwardGrayMetadata (+
 * bindGrayContext on stream callbacks) — 64 in flight. Counts lost and crossed tags at every
 * recorded phase of every hop, failed calls, and heap growth after GC between a post-warm-up
 * baseline and the end. Exits non-zero on any lost / crossed tag, missing record, failed call,
 * heap growth over the target, or a SIGINT; a run cut by --max-seconds is reported as such.
 *
 *   node --expose-gc --import tsx soak/run.ts [--calls N | --quick] [--concurrency 64] [--max-seconds 540] [--seed 1] [--json]
 */
import * as grpc from '@grpc/grpc-js';
import { cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import { collect, hopClient, startServer, type HopClient, type HopReply, type RunningServer } from '../test/helpers/grpc.js';
import { hopImpl } from '../test/helpers/hop-service.js';
import { flag, intArg, mulberry32, onSigint } from './common.js';

const argv = process.argv.slice(2);
const json = flag(argv, '--json');
const calls = flag(argv, '--quick') ? 20_000 : intArg(argv, '--calls', 1_000_000);
const concurrency = intArg(argv, '--concurrency', 64);
const maxSeconds = intArg(argv, '--max-seconds', 540);
const seed = intArg(argv, '--seed', 1);
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
      process.stderr.write(`soak: ${done}/${calls} calls, ${Math.round((performance.now() - started) / 1000)} s, heap ${mb(heap)} MB, rss ${mb(rss)} MB, lost ${counters.lost}, crossed ${counters.crossed}, failed ${counters.failed}\n`);
    };

    const worker = async (): Promise<void> => {
      for (;;) {
        while (pausing !== undefined) await pausing;
        if (stop || next >= calls || performance.now() > deadline) return;
        const n = next++;
        const type = TYPES[Math.floor(random() * TYPES.length)]!;
        const stage = `s-${n}`;
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
    const result = {
      ok: tagsOk && heapOk && (finished || !stop),
      calls,
      completed: counters.completed,
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
    if (json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      console.log(`soak ${result.ok ? 'PASSED' : 'FAILED'}${finished ? '' : ' (INCOMPLETE)'}: ${result.completed}/${calls} calls in ${(durationMs / 1000).toFixed(1)} s (${result.callsPerSecond}/s, ${concurrency} in flight)`);
      console.log(`  by type: ${TYPES.map((t) => `${t} ${counters.byType[t]}`).join(', ')}`);
      console.log(`  tags: lost ${result.lost}, crossed ${result.crossed}, missing records ${result.missingRecords}, failed calls ${result.failed} (${result.recordsChecked} hop records checked)`);
      console.log(`  heap after GC: ${result.heap.baselineMB} MB after ${warmup} warm-up calls -> ${result.heap.endMB} MB at the end: growth ${growthMB} MB (target < ${HEAP_TARGET_MB} MB)`);
      console.log(`  machine: ${result.machine.cpus} × ${result.machine.model}, load average ${loadavgAtStart.join(' ')} -> ${result.machine.loadavgAtEnd.join(' ')}, node ${process.version}`);
      console.log(`  rss: ${result.rss.baselineMB} MB -> ${result.rss.endMB} MB (peak ${result.rss.peakMB} MB)`);
      for (const p of result.problems) console.log(`  ! ${p}`);
      if (result.stoppedEarly) console.log(`  stopped early (${result.stoppedEarly}): ${calls - result.completed} calls not made; raise --max-seconds or lower --calls`);
    }
    return stop ? 130 : result.ok ? 0 : 1;
  } finally {
    offSigint();
    for (const client of clients) client.close();
    await Promise.all(servers.map((s) => s.close()));
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
