/**
 * Reads V8 CPU profiles (`node --cpu-prof`) and counts where their samples fall: graylane's own
 * frames (the script URL is inside graylane's dist/), AsyncLocalStorage / async_hooks machinery,
 * GC, grpc-js. Counted per time window, so a figure covers exactly the measured phases. A sample is
 * attributed to the frame that was running (self time); `(idle)` samples are not counted at all.
 * @packageDocumentation
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a `.cpuprofile` file this module reads. */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number } }[];
  /** Start of the profile, µs on the monotonic clock (`process.hrtime` in µs, on Linux). */
  readonly startTime: number;
  readonly endTime: number;
  /** Node id of each sample. */
  readonly samples: readonly number[];
  /** µs since the previous sample (the first: since `startTime`). */
  readonly timeDeltas: readonly number[];
}

/** Where one frame belongs. */
export type FrameArea = 'graylane' | 'async-context' | 'gc' | 'grpc-js' | 'nice-grpc' | 'program' | 'idle' | 'other';

/** Samples per area in one window (`samples` excludes `(idle)`). */
export interface ProfileCounts {
  samples: number;
  graylane: number;
  asyncContext: number;
  gc: number;
  grpcJs: number;
}

/** Script URLs of Node's async-context machinery: async_hooks (Node 20, and 22 by default) and AsyncContextFrame (Node 24+). */
const ASYNC_URLS = ['node:async_hooks', 'node:internal/async_hooks', 'node:internal/async_context_frame', 'node:internal/async_local_storage'];
/** Native frames (no URL) that run only because async hooks are enabled. */
const ASYNC_NATIVE = new Set(['emitInitNative', 'callbackTrampoline', 'promiseInitHook', 'promiseBeforeHook', 'promiseAfterHook', 'promiseResolveHook']);

/** The area of a frame; `graylaneUrlPrefix` is the URL of graylane's dist folder with a trailing `/`. */
export function frameArea(url: string, functionName: string, graylaneUrlPrefix: string): FrameArea {
  if (url === '') {
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(program)' || functionName === '(root)') return 'program';
    return ASYNC_NATIVE.has(functionName) ? 'async-context' : 'other';
  }
  if (url.startsWith(graylaneUrlPrefix)) return 'graylane';
  if (ASYNC_URLS.some((u) => url === u || url.startsWith(`${u}/`))) return 'async-context';
  if (url.includes('/@grpc/grpc-js/')) return 'grpc-js';
  if (url.includes('/nice-grpc')) return 'nice-grpc';
  return 'other';
}

const empty = (): ProfileCounts => ({ samples: 0, graylane: 0, asyncContext: 0, gc: 0, grpcJs: 0 });

function add(c: ProfileCounts, area: FrameArea): void {
  if (area === 'idle') return;
  c.samples++;
  if (area === 'graylane') c.graylane++;
  else if (area === 'async-context') c.asyncContext++;
  else if (area === 'gc') c.gc++;
  else if (area === 'grpc-js') c.grpcJs++;
}

/**
 * Counts the samples of `profile` by area: over the whole profile, and inside each of `windows`
 * (`[startUs, endUs]` on the profile's clock; windows must not overlap).
 */
export function countProfile(profile: CpuProfile, graylaneUrlPrefix: string, windows: readonly (readonly [number, number])[] = []): { total: ProfileCounts; windows: ProfileCounts[] } {
  const areaOf = new Map<number, FrameArea>();
  for (const n of profile.nodes) areaOf.set(n.id, frameArea(n.callFrame.url, n.callFrame.functionName, graylaneUrlPrefix));
  const total = empty();
  const perWindow = windows.map(empty);
  const order = windows.map((w, i) => ({ start: w[0], end: w[1], i })).sort((a, b) => a.start - b.start);
  let t = profile.startTime;
  let w = 0;
  for (let s = 0; s < profile.samples.length; s++) {
    t += profile.timeDeltas[s] ?? 0;
    const area = areaOf.get(profile.samples[s]!) ?? 'other';
    add(total, area);
    while (w < order.length && order[w]!.end < t) w++;
    if (w < order.length && order[w]!.start <= t) add(perWindow[order[w]!.i]!, area);
  }
  return { total, windows: perWindow };
}

/** The main thread's profile in `folder` (`CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile`), or `undefined`. */
export function readMainProfile(folder: string): CpuProfile | undefined {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return undefined;
  }
  const file = names.find((n) => n.endsWith('.cpuprofile') && n.split('.')[4] === '0') ?? names.find((n) => n.endsWith('.cpuprofile'));
  return file === undefined ? undefined : (JSON.parse(readFileSync(join(folder, file), 'utf8')) as CpuProfile);
}

/** The `limit` frames of `area` with the most samples: `[label, samples]`. */
export function topFrames(profile: CpuProfile, graylaneUrlPrefix: string, area: FrameArea, limit = 8): [string, number][] {
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byFrame = new Map<string, number>();
  for (const n of profile.nodes) {
    const c = hits.get(n.id);
    if (c === undefined || frameArea(n.callFrame.url, n.callFrame.functionName, graylaneUrlPrefix) !== area) continue;
    const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
    byFrame.set(key, (byFrame.get(key) ?? 0) + c);
  }
  return [...byFrame].sort((a, b) => b[1] - a[1]).slice(0, limit);
}
