import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { grayClientInterceptor } from '../../src/grpc-js/client-interceptor.js';
import { grayServerInterceptor } from '../../src/grpc-js/server-interceptor.js';
import { createRollbackGuard, type RollbackGuard, type RollbackTripEvent } from 'graylane/observe';
import { rollbackGuardClientInterceptor } from 'graylane/observe/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEtcdRegistry, createFileRegistry, createStaticRegistry, registerGrayRouting, type GrayInstance, type GrayRegistry, type GrayRouting } from '../../src/routing/index.js';
import { etcdAvailable, startEtcd } from '../helpers/etcd.js';
import { hopClient, type HopClient } from '../helpers/grpc.js';
import { stageMetadata, startHop, stopHops, unaryWithStatus, type ChainHop } from './chain.js';

/** Calls until `done` holds for a result, at most `max` calls / `maxMs` ms; returns the results. */
async function callUntil(client: HopClient, stage: string, done: (instance: string | undefined, code: number) => boolean, max = 200, maxMs = 10_000) {
  const results: Array<{ instance: string | undefined; code: number }> = [];
  const deadline = performance.now() + maxMs;
  while (results.length < max && performance.now() < deadline) {
    const { reply, status } = await unaryWithStatus(client, { id: `u${results.length}` }, stageMetadata(stage));
    const r = { instance: reply?.hops[0]?.instance, code: status.code };
    results.push(r);
    if (done(r.instance, r.code)) break;
  }
  return results;
}

/** Polls `check` every 10 ms for at most `maxMs`. */
async function waitFor(check: () => boolean, maxMs = 5000): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  while (!check() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return check();
}

interface Setup {
  /** The registry routers read (one process). */
  readonly router: GrayRegistry;
  /** The registry the guard writes to: another instance on the same store, as another process would have. */
  readonly guardSide: GrayRegistry;
  close(): Promise<void>;
}

const setups: Record<string, (instances: GrayInstance[]) => Promise<Setup>> = {
  static: async (instances) => {
    const registry = createStaticRegistry(instances);
    return { router: registry, guardSide: registry, close: () => registry.close() };
  },
  file: async (instances) => {
    const dir = mkdtempSync(join(tmpdir(), 'graylane-guard-'));
    const path = join(dir, 'registry.json');
    writeFileSync(path, JSON.stringify({ instances }));
    const router = createFileRegistry(path);
    const guardSide = createFileRegistry(path);
    return {
      router, guardSide,
      async close() {
        await router.close();
        await guardSide.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  etcd: async (instances) => {
    const etcd = await startEtcd();
    const prefix = '/graylane-observe';
    const router = createEtcdRegistry({ endpoints: etcd.endpoint, prefix });
    const guardSide = createEtcdRegistry({ endpoints: etcd.endpoint, prefix });
    await Promise.all([router.ready(), guardSide.ready()]);
    const leases = await Promise.all(instances.map((i) => guardSide.register(i)));
    return {
      router, guardSide,
      async close() {
        for (const l of leases) await l.close();
        await router.close();
        await guardSide.close();
        await etcd.close();
      },
    };
  },
};
const kinds = Object.keys(setups).filter((k) => k !== 'etcd' || etcdAvailable());

describe.each(kinds)('rollback guard → routing (%s registry)', (kind) => {
  let stable: ChainHop;
  let canary: ChainHop;
  let failing = false;
  let setup: Setup | undefined;
  let registry: GrayRegistry;
  let routing: GrayRouting;
  let guard: RollbackGuard;
  let client: HopClient;
  const trips: RollbackTripEvent[] = [];

  beforeAll(async () => {
    stable = await startHop({ name: 'stable-1', serverInterceptors: [grayServerInterceptor()] });
    canary = await startHop({ name: 'canary-1', serverInterceptors: [grayServerInterceptor()], fail: () => (failing ? grpc.status.INTERNAL : undefined) });
    setup = await setups[kind]!([
      { service: 'hop', address: stable.server.address, stage: 'stable' },
      { service: 'hop', address: canary.server.address, stage: 'canary' },
    ]);
    registry = setup.router;
    expect(await waitFor(() => registry.getService('hop').instances.length === 2, 10_000)).toBe(true);
    routing = registerGrayRouting({ registry, scheme: `guard${kind}` });
    guard = createRollbackGuard({ registry: setup.guardSide, service: 'hop', window: 30_000, onTrip: (e) => trips.push(e) });
    client = hopClient(routing.target('hop'), { interceptors: [grayClientInterceptor(), rollbackGuardClientInterceptor(guard)] });
  });

  afterAll(async () => {
    client?.close();
    routing?.close();
    await setup?.close();
    await stopHops([stable, canary].filter(Boolean));
  });

  it('trips on injected canary errors, routes canary calls to stable, and resume restores canary routing', async () => {
    // Wait until the router sees the canary (etcd: after the watch delivers), then warm up with one call.
    const warm = await callUntil(client, 'canary', (instance) => instance === 'canary-1', 100, 10_000);
    expect(warm[warm.length - 1]).toEqual({ instance: 'canary-1', code: grpc.status.OK });
    const warmCount = warm.length;
    for (let i = 0; i < 5; i++) expect((await callUntil(client, 'stable', () => true))[0]!.instance).toBe('stable-1');

    failing = true;
    const failures = await callUntil(client, 'canary', () => guard.state === 'tripped', 100);
    expect(guard.state).toBe('tripped');
    // The guard trips as soon as the window holds minSamples (20) calls: the warm-up calls plus failures.
    expect(failures).toHaveLength(20 - warmCount);
    expect(failures.every((r) => r.code === grpc.status.INTERNAL && r.instance === undefined)).toBe(true);
    expect(trips).toHaveLength(1);
    expect(trips[0]).toMatchObject({ service: 'hop', stage: 'canary', reason: 'error-rate', samples: 20, errors: 20 - warmCount });
    expect(await waitFor(() => registry.getService('hop').rules.disabledStages.includes('canary'))).toBe(true);

    // Routers follow the registry: canary calls land on stable (allow the watch to deliver).
    const moving = await callUntil(client, 'canary', (instance) => instance === 'stable-1', 50, 5000);
    expect(moving[moving.length - 1]!.instance).toBe('stable-1');
    const after = await Promise.all(Array.from({ length: 30 }, (_, i) => unaryWithStatus(client, { id: `a${i}` }, stageMetadata('canary'))));
    expect(after.map((r) => r.reply?.hops[0]?.instance)).toEqual(Array(30).fill('stable-1'));

    failing = false;
    await guard.resume();
    expect(guard.state).toBe('watching');
    expect(await waitFor(() => registry.getService('hop').rules.disabledStages.length === 0)).toBe(true);
    const back = await callUntil(client, 'canary', (instance) => instance === 'canary-1', 50, 5000);
    expect(back[back.length - 1]!.instance).toBe('canary-1');
    const restored = await Promise.all(Array.from({ length: 30 }, (_, i) => unaryWithStatus(client, { id: `b${i}` }, stageMetadata('canary'))));
    expect(restored.map((r) => r.reply?.hops[0]?.instance)).toEqual(Array(30).fill('canary-1'));
    expect(trips).toHaveLength(1);
  });
});

describe.skipIf(!etcdAvailable())('rollback guard during an etcd outage', () => {
  it('a trip while etcd is down is retried and applied once etcd is back; routers then see the stage disabled', async () => {
    const etcd = await startEtcd();
    const prefix = '/graylane-outage';
    const router = createEtcdRegistry({ endpoints: etcd.endpoint, prefix });
    const guardSide = createEtcdRegistry({ endpoints: etcd.endpoint, prefix });
    try {
      await Promise.all([router.ready(), guardSide.ready()]);
      const errors: unknown[] = [];
      const guard = createRollbackGuard({ registry: guardSide, service: 'hop', minSamples: 1, registryRetryMs: 200 });
      guard.on('registry-error', (e) => errors.push(e));
      const disabled = new Promise<{ attempts: number }>((r) => guard.once('disabled', r));

      await etcd.stop();
      guard.record('canary', false, 1); // trips at once: 1 failure in 1 call
      expect(guard.state).toBe('tripped');
      expect(await waitFor(() => errors.length >= 2, 30_000)).toBe(true); // failed, and failed again on retry
      expect(guard.stageDisabled).toBe(false);

      await etcd.start();
      const { attempts } = await disabled;
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(guard.stageDisabled).toBe(true);
      expect(await waitFor(() => router.getService('hop').rules.disabledStages.includes('canary'), 20_000)).toBe(true);
      await guard.resume();
      expect(await waitFor(() => router.getService('hop').rules.disabledStages.length === 0, 20_000)).toBe(true);
    } finally {
      await router.close();
      await guardSide.close();
      await etcd.close();
    }
  }, 90_000);
});
