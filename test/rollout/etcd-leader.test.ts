/**
 * Rollouts on a real etcd: exactly one of two controllers (two processes) drives; SIGKILL the leader
 * and the other continues from the last step within two lease TTLs. A corrupted record keeps the
 * last good one and is reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdRegistry, type EtcdGrayRegistry } from 'graylane/routing';
import { createRollout, rolloutPercentIn } from 'graylane/rollout';
import { etcdAvailable, startEtcd, type EtcdServer } from '../helpers/etcd.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TTL_MS = 2000;

async function waitFor(check: () => boolean, maxMs = 5000): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  while (!check() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return check();
}

describe.skipIf(!etcdAvailable())('rollout leadership and records on etcd', () => {
  let etcd: EtcdServer;
  let registry: EtcdGrayRegistry;
  let child: ChildProcess | undefined;
  const prefix = '/graylane-rollout';

  beforeAll(async () => {
    etcd = await startEtcd();
    registry = createEtcdRegistry({ endpoints: etcd.endpoint, prefix, leaseTtlSeconds: 2 });
    await registry.ready();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await registry?.close();
    await etcd?.close();
  });

  it('two controllers: exactly one drives; after a SIGKILL of the leader the other continues from the last step within two lease TTLs', async () => {
    const lines: Array<{ event: string; pid: number; leader?: boolean; step?: number }> = [];
    child = spawn(process.execPath, ['--import', 'tsx', 'test/rollout/controller-child.ts', etcd.endpoint, 'ramp', prefix], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as (typeof lines)[number]));
    expect(await waitFor(() => lines.some((l) => l.event === 'leader' && l.leader === true), 20_000)).toBe(true);

    const mine = createRollout({ registry, name: 'ramp', service: 'hop', steps: [1, 5, 25, 50, 100], minDwellMs: 800, minCalls: 0, tickMs: 20, leaseTtlSeconds: 2 });
    const leader: boolean[] = [];
    mine.on('leader', (l: boolean) => leader.push(l));
    try {
      await mine.start(); // writes the ramp, then campaigns: the child leads, so the child drives
      expect(await waitFor(() => (registry.getRollout('ramp')?.step ?? 0) >= 1, 10_000)).toBe(true);
      const driven = registry.getRollout('ramp')!;
      expect(driven.decision?.by).toMatch(new RegExp(`pid ${child.pid}$`));
      expect(mine.status().leader).toBe(false);
      expect(leader).toEqual([]);

      const killedAt = performance.now();
      const stepAtKill = registry.getRollout('ramp')!.step;
      child.kill('SIGKILL');
      expect(await waitFor(() => mine.status().leader, 4 * TTL_MS)).toBe(true);
      expect(performance.now() - killedAt).toBeLessThan(2 * TTL_MS + 500); // lease expiry + the election watch
      // It continues from where the dead leader left the ramp, not from the start.
      expect(registry.getRollout('ramp')!.step).toBeGreaterThanOrEqual(stepAtKill);
      expect(await waitFor(() => registry.getRollout('ramp')!.step > stepAtKill, 5000)).toBe(true);
      expect(registry.getRollout('ramp')!.decision?.by).toMatch(new RegExp(`pid ${process.pid}$`));
      expect(await waitFor(() => registry.getRollout('ramp')!.state === 'promoted', 10_000)).toBe(true);
      expect(lines.filter((l) => l.event === 'step').every((l) => l.pid === child!.pid)).toBe(true);
    } finally {
      await mine.close();
    }
  }, 60_000);

  it('a corrupted record keeps the last good state, is reported, and the next update repairs it', async () => {
    const errors: Error[] = [];
    const reader = createEtcdRegistry({ endpoints: etcd.endpoint, prefix, onError: (e) => errors.push(e) });
    const raw = new Etcd3({ hosts: etcd.endpoint });
    try {
      await reader.ready();
      const r = createRollout({ registry, name: 'corrupt', service: 'hop', steps: [10, 50, 100], minDwellMs: 60_000 });
      await r.start();
      await r.close();
      expect(await waitFor(() => reader.getRollout('corrupt')?.percent === 10)).toBe(true);
      const percent = rolloutPercentIn(reader);
      for (const garbage of ['{not json', JSON.stringify({ ...reader.getRollout('corrupt'), percent: 'all' }), JSON.stringify({ ...reader.getRollout('corrupt'), steps: [50, 10] })]) {
        errors.length = 0;
        await raw.put(`${prefix}/rollouts/corrupt`).value(garbage);
        expect(await waitFor(() => errors.length > 0)).toBe(true);
        expect(errors[0]!.message).toMatch(/rollouts\/corrupt.*Keeping the last good record \(step 0, 10%\)/s);
        expect(reader.getRollout('corrupt')).toMatchObject({ state: 'running', percent: 10 });
        expect(reader.getRolloutError('corrupt')?.message).toMatch(/Keeping the last good record/);
        expect(percent('corrupt')).toBe(10);
      }
      const paused = await createRollout({ registry, name: 'corrupt', service: 'hop', minDwellMs: 1 }).pause('hold');
      expect(paused).toMatchObject({ state: 'paused', percent: 10 });
      expect(await waitFor(() => reader.getRollout('corrupt')?.state === 'paused' && reader.getRolloutError('corrupt') === undefined)).toBe(true);
    } finally {
      raw.close();
      await reader.close();
    }
  }, 30_000);
});
