/**
 * Summarises V8 CPU profiles written by `bench/run.ts --cpu-prof DIR`: self time by area
 * (graylane, grpc-js, OpenTelemetry, Node internals, GC) and the top graylane frames, per process.
 * Usage: npx tsx bench/profile-summary.ts DIR [filter]
 * @packageDocumentation
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

/** Native / internal frames that only run because an async hook (AsyncLocalStorage on Node 20) is enabled. */
const ASYNC_HOOK_FRAMES = new Set(['callbackTrampoline', 'emitInitNative', 'emitInitScript', 'emitBeforeScript', 'emitAfterScript', 'promiseInitHook', 'promiseBeforeHook', 'promiseAfterHook', 'promiseResolveHook', 'lookupPublicResource', '_propagate']);

/** AsyncLocalStorage's own methods (frames in `node:async_hooks` with these names). */
const ALS_METHODS = new Set(['run', 'getStore', 'enterWith', 'exit', '_enable', 'executionAsyncResource']);

function area(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(idle)' || fn === '(program)' || fn === '(root)') return fn.slice(1, -1);
  if (ASYNC_HOOK_FRAMES.has(fn) || (url.endsWith('async_hooks') && ALS_METHODS.has(fn))) return 'async_hooks (AsyncLocalStorage on Node 20)';
  if (url.includes('/src/') && !url.includes('node_modules')) return 'graylane';
  if (url.includes('@grpc/grpc-js')) return 'grpc-js';
  if (url.includes('@opentelemetry')) return 'opentelemetry';
  if (url.includes('nice-grpc')) return 'nice-grpc';
  if (url.includes('/bench/')) return 'bench code';
  if (url.includes('node_modules')) return 'other deps';
  return 'node internals + native';
}

/** Self time per node id, from samples and time deltas (µs). */
function selfTimes(p: Profile): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) out.set(p.samples[i]!, (out.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  return out;
}

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: profile-summary.ts DIR [filter]\n');
  process.exit(2);
}
const filter = process.argv[3] ?? '';
/** Each process has its own folder; the main thread's profile is `CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile`. */
function mainProfile(folder: string): Profile | undefined {
  const file = readdirSync(folder).find((n) => n.endsWith('.cpuprofile') && n.split('.')[4] === '0');
  return file === undefined ? undefined : (JSON.parse(readFileSync(join(folder, file), 'utf8')) as Profile);
}

for (const file of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name.includes(filter)).map((d) => d.name).sort()) {
  const p = mainProfile(join(dir, file));
  if (p === undefined) continue;
  const self = selfTimes(p);
  const byArea = new Map<string, number>();
  const byFrame = new Map<string, number>();
  let busy = 0;
  for (const n of p.nodes) {
    const t = self.get(n.id) ?? 0;
    const a = area(n.callFrame.url, n.callFrame.functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + t);
    if (a !== 'idle') busy += t;
    if (a === 'graylane' || a === 'grpc-js' || a === 'opentelemetry' || a === 'node internals + native') {
      const key = `${a}: ${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
      byFrame.set(key, (byFrame.get(key) ?? 0) + t);
    }
  }
  process.stdout.write(`\n${file}: busy ${(busy / 1000).toFixed(0)} ms\n`);
  for (const [a, t] of [...byArea].filter(([a]) => a !== 'idle').sort((x, y) => y[1] - x[1])) {
    process.stdout.write(`  ${((100 * t) / busy).toFixed(1).padStart(5)} %  ${a}\n`);
  }
  const top = [...byFrame].sort((x, y) => y[1] - x[1]);
  for (const [k, t] of top.filter(([k]) => k.startsWith('graylane')).slice(0, 10)) {
    process.stdout.write(`  ${((100 * t) / busy).toFixed(2).padStart(6)} %  ${k}\n`);
  }
  for (const [k, t] of top.filter(([k]) => !k.startsWith('graylane')).slice(0, 8)) {
    process.stdout.write(`  ${((100 * t) / busy).toFixed(2).padStart(6)} %  ${k}\n`);
  }
}
