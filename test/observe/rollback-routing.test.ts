import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { grayClientInterceptor } from '../../src/grpc-js/client-interceptor.js';
import { grayServerInterceptor } from '../../src/grpc-js/server-interceptor.js';
import { createRollbackGuard, type RollbackGuard, type RollbackTripEvent } from '../../src/observe/rollback-guard.js';
import { rollbackGuardInterceptor } from '../../src/observe/grpc-js-rollback.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileRegistry, createStaticRegistry, registerGrayRouting, type GrayInstance, type GrayRegistry, type GrayRouting } from '../../src/routing/index.js';
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

const dirs: string[] = [];
const registries: Record<string, (instances: GrayInstance[]) => GrayRegistry> = {
  static: (instances) => createStaticRegistry(instances),
  file: (instances) => {
    const dir = mkdtempSync(join(tmpdir(), 'graylane-guard-'));
    dirs.push(dir);
    const path = join(dir, 'registry.json');
    writeFileSync(path, JSON.stringify({ instances }));
    return createFileRegistry(path);
  },
};
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe.each(Object.keys(registries))('rollback guard → routing (%s registry)', (kind) => {
  let stable: ChainHop;
  let canary: ChainHop;
  let failing = false;
  let registry: GrayRegistry;
  let routing: GrayRouting;
  let guard: RollbackGuard;
  let client: HopClient;
  const trips: RollbackTripEvent[] = [];

  beforeAll(async () => {
    stable = await startHop({ name: 'stable-1', serverInterceptors: [grayServerInterceptor()] });
    canary = await startHop({ name: 'canary-1', serverInterceptors: [grayServerInterceptor()], fail: () => (failing ? grpc.status.INTERNAL : undefined) });
    registry = registries[kind]!([
      { service: 'hop', address: stable.server.address, stage: 'stable' },
      { service: 'hop', address: canary.server.address, stage: 'canary' },
    ]);
    routing = registerGrayRouting({ registry, scheme: `guard${kind}` });
    guard = createRollbackGuard({ registry, service: 'hop', window: 30_000, onTrip: (e) => trips.push(e) });
    client = hopClient(routing.target('hop'), { interceptors: [grayClientInterceptor(), rollbackGuardInterceptor(guard)] });
  });

  afterAll(async () => {
    client?.close();
    routing?.close();
    await registry?.close();
    await stopHops([stable, canary].filter(Boolean));
  });

  it('trips on injected canary errors, routes canary calls to stable, and resume restores canary routing', async () => {
    const warm = await callUntil(client, 'canary', () => true);
    expect(warm[0]).toEqual({ instance: 'canary-1', code: grpc.status.OK });
    for (let i = 0; i < 5; i++) expect((await callUntil(client, 'stable', () => true))[0]!.instance).toBe('stable-1');

    failing = true;
    const failures = await callUntil(client, 'canary', () => guard.state === 'tripped', 100);
    expect(guard.state).toBe('tripped');
    // The guard trips as soon as the window holds minSamples (20) calls: the warm-up call plus 19 failures.
    expect(failures).toHaveLength(19);
    expect(failures.every((r) => r.code === grpc.status.INTERNAL && r.instance === undefined)).toBe(true);
    expect(trips).toHaveLength(1);
    expect(trips[0]).toMatchObject({ service: 'hop', stage: 'canary', reason: 'error-rate', samples: 20, errors: 19 });
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
