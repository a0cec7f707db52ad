/**
 * A registry at fleet size, on the built package, in a fresh process (run with `--expose-gc`):
 * 1,000 services × 10 instances (8 stable, 2 canary) in the file registry or in etcd. Measures the
 * heap the registry and 1,000 service watches add (`heapUsed` after GC, before vs after), the full
 * load time (file: `createFileRegistry`, which reads synchronously; etcd: `createEtcdRegistry` +
 * `ready()`), and, for `changes` sequential changes — the weight of one instance of a random
 * service — the time from the write (the file rewritten and renamed into place, or the etcd put)
 * to that service's `watchService` listener receiving the changed snapshot: what the resolver of a
 * routed channel receives. The etcd data is written with a plain etcd3 client in the documented key
 * layout (`<prefix>/services/<service>/<stage>/<id>`), not with `register()` (a lease each).
 * Prints one JSON line. Usage: scale-registry.js file|etcd [etcd endpoint] [--quick]
 * @packageDocumentation
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEtcdRegistry, createFileRegistry, type GrayInstance, type GrayRegistry, type GrayServiceSnapshot } from 'graylane/routing';

const kind = process.argv[2];
const endpoint = process.argv[3]?.startsWith('http') ? process.argv[3] : undefined;
const quick = process.argv.includes('--quick');
const SERVICES = 1000;
const PER_SERVICE = 10;
const CHANGES = quick ? 40 : 200;
const CHANGE_TIMEOUT_MS = 5_000;
const PREFIX = '/graylane-scale';
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('scale-registry: run with --expose-gc');
if (kind !== 'file' && kind !== 'etcd') throw new Error('usage: scale-registry.js file|etcd [endpoint]');
if (kind === 'etcd' && endpoint === undefined) throw new Error('scale-registry: etcd needs an endpoint');

const service = (s: number): string => `bench.svc${s}`;
const address = (s: number, i: number): string => `127.0.0.1:${20_000 + s * PER_SERVICE + i}`;
const stageOf = (i: number): string => (i < 8 ? 'stable' : 'canary');
const weights = new Map<string, number>(); // `${s} ${i}` → weight
const instance = (s: number, i: number): GrayInstance => ({ service: service(s), address: address(s, i), stage: stageOf(i), weight: weights.get(`${s} ${i}`) ?? 1 });
const all = (): GrayInstance[] => Array.from({ length: SERVICES * PER_SERVICE }, (_, k) => instance(Math.floor(k / PER_SERVICE), k % PER_SERVICE));

let seed = 42;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

function heapAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

interface Writer { write(s: number, i: number): Promise<void>; close(): Promise<void> }

interface Side { open(): GrayRegistry; ready?(r: GrayRegistry): Promise<void>; writer: Writer; cleanup(): void }

async function fileSide(): Promise<Side> {
  const dir = mkdtempSync(join(tmpdir(), 'graylane-scale-'));
  const path = join(dir, 'registry.json');
  const writeAll = (): void => {
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ instances: all(), rules: {} }));
    renameSync(tmp, path);
  };
  writeAll();
  return {
    open: () => createFileRegistry(path),
    writer: { write: async () => writeAll(), close: async () => undefined },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function etcdSide(): Promise<Side> {
  const { Etcd3 } = await import('etcd3');
  const client = new Etcd3({ hosts: endpoint! });
  const keyOf = (s: number, i: number): string => `${PREFIX}/services/${service(s)}/${stageOf(i)}/${address(s, i)}`;
  const put = async (s: number, i: number): Promise<void> => {
    const inst = instance(s, i);
    await client.put(keyOf(s, i)).value(JSON.stringify({ address: inst.address, weight: inst.weight }));
  };
  await client.delete().prefix(`${PREFIX}/`);
  const keys = Array.from({ length: SERVICES * PER_SERVICE }, (_, k) => [Math.floor(k / PER_SERVICE), k % PER_SERVICE] as const);
  for (let k = 0; k < keys.length; k += 200) await Promise.all(keys.slice(k, k + 200).map(([s, i]) => put(s, i)));
  return {
    open: () => createEtcdRegistry({ endpoints: endpoint!, prefix: PREFIX }),
    ready: (r) => (r as ReturnType<typeof createEtcdRegistry>).ready(),
    writer: { write: put, close: async () => client.close() },
    cleanup: () => undefined,
  };
}

const side: Side = kind === 'file' ? await fileSide() : await etcdSide();
const heap0 = heapAfterGc();
const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
const registry = side.open();
await side.ready?.(registry);
const loadMs = performance.now() - t0;
const loaded = Array.from({ length: SERVICES }, (_, s) => registry.getService(service(s)).instances.length).reduce((a, b) => a + b, 0);
if (loaded !== SERVICES * PER_SERVICE) throw new Error(`scale-registry: loaded ${loaded} instances, expected ${SERVICES * PER_SERVICE}`);

// One listener per service, as one routed channel per service would have.
let waiting: { s: number; address: string; weight: number; resolve: (t: number) => void } | undefined;
const unwatch = Array.from({ length: SERVICES }, (_, s) => registry.watchService(service(s), (snap: GrayServiceSnapshot) => {
  const w = waiting;
  if (w === undefined || w.s !== s) return;
  if (snap.instances.find((x) => x.address === w.address)?.weight === w.weight) {
    waiting = undefined;
    w.resolve(performance.now());
  }
}));
const heapDelta = heapAfterGc() - heap0;
const rssDelta = process.memoryUsage().rss - rss0;

const latencies: number[] = [];
let lost = 0;
for (let c = 0; c < CHANGES; c++) {
  const s = Math.floor(rand() * SERVICES);
  const i = Math.floor(rand() * PER_SERVICE);
  const weight = 2 + ((weights.get(`${s} ${i}`) ?? 1) % 999);
  weights.set(`${s} ${i}`, weight);
  const seen = new Promise<number>((resolve) => {
    waiting = { s, address: address(s, i), weight, resolve };
  });
  const start = performance.now();
  await side.writer.write(s, i);
  const timer = new Promise<undefined>((r) => setTimeout(r, CHANGE_TIMEOUT_MS, undefined));
  const at = await Promise.race([seen, timer]);
  if (at === undefined) {
    lost++;
    waiting = undefined;
  } else latencies.push(at - start);
  await new Promise((r) => setTimeout(r, 5 + rand() * 20)); // not in lock-step with the debounce
}
for (const u of unwatch) u();
await registry.close();
await side.writer.close();
side.cleanup();
process.stdout.write(`${JSON.stringify({
  kind,
  node: process.version,
  services: SERVICES,
  instances: SERVICES * PER_SERVICE,
  loadMs,
  heapDeltaBytes: heapDelta,
  rssDeltaBytes: rssDelta,
  changes: CHANGES,
  lost,
  latenciesMs: latencies,
})}\n`);
process.exit(0);
