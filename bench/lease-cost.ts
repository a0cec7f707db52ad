/**
 * What `register()` costs at fleet size: N registrations through one etcd registry, then the
 * number of leases etcd holds, the heap per registration in the registering process, and the CPU
 * etcd and the registering process spend keeping them alive (keep-alives every TTL/3).
 *
 *   npx tsx --expose-gc bench/lease-cost.ts [N=10000] [routing module=../src/routing/index.ts]
 *
 * Pass another checkout's `src/routing/index.ts` to compare (e.g. one lease per instance before 0.2).
 * Needs the `etcd` binary (Debian `etcd-server`); starts its own etcd on free loopback ports.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Etcd3 } from 'etcd3';
import { startEtcd } from '../test/helpers/etcd.js';

type Routing = typeof import('../src/routing/index.js');

const N = Number(process.argv[2] ?? 10_000);
const modulePath = process.argv[3] ? pathToFileURL(resolve(process.argv[3])).href : new URL('../src/routing/index.ts', import.meta.url).href;
const TTL = 10;
const WINDOW_MS = 20_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc (npx tsx --expose-gc bench/lease-cost.ts)');

/** CPU seconds (user + system) of a process from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function heapMb(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const { createEtcdRegistry } = (await import(modulePath)) as Routing;
const etcd = await startEtcd();
const raw = new Etcd3({ hosts: etcd.endpoint });
const registry = createEtcdRegistry({ endpoints: etcd.endpoint, prefix: '/bench', leaseTtlSeconds: TTL });
try {
  await registry.ready();
  const before = heapMb();
  const t0 = performance.now();
  const regs = [];
  for (let i = 0; i < N; i += 200) {
    const batch = Array.from({ length: Math.min(200, N - i) }, (_, j) => {
      const k = i + j;
      return registry.register({ service: `svc-${k % 1000}`, address: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}:50051`, stage: k % 10 === 0 ? 'canary' : 'stable' });
    });
    regs.push(...(await Promise.all(batch)));
  }
  const registerMs = performance.now() - t0;
  const after = heapMb();
  const leases = (await raw.leaseClient.leaseLeases()).leases.length;

  const etcdPid = etcd.pid!;
  const e0 = cpuSeconds(etcdPid);
  const p0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const etcdCpu = (cpuSeconds(etcdPid) - e0) / (WINDOW_MS / 1000);
  const p1 = process.cpuUsage(p0);
  const selfCpu = (p1.user + p1.system) / 1e6 / (WINDOW_MS / 1000);

  console.log(`module: ${modulePath}`);
  console.log(`node ${process.version}, ${N} registrations, lease TTL ${TTL} s, idle window ${WINDOW_MS / 1000} s`);
  console.log(`leases held by etcd:            ${leases}`);
  console.log(`register all:                   ${(registerMs / 1000).toFixed(1)} s`);
  console.log(`heap of the registering process: +${(after - before).toFixed(1)} MB (${(((after - before) * 2 ** 20) / N / 1024).toFixed(2)} KB per registration)`);
  console.log(`etcd CPU while idle:            ${(etcdCpu * 100).toFixed(1)} % of a core`);
  console.log(`registering process CPU idle:   ${(selfCpu * 100).toFixed(1)} % of a core`);
  void regs;
} finally {
  await registry.close();
  raw.close();
  await etcd.close();
}
