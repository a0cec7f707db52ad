/**
 * A progressive rollout end to end on a real file registry: a node:http edge colors users by a named
 * rollout read from the registry, calls a real grpc-js backend through graylane routing, and feeds
 * the controller's guard; the controller (on its own registry instance, as another process would
 * be) ramps the share, or aborts it when the canary starts failing.
 */
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coloringInput, createColoringRules, getGrayContext, recordCarrier, type ColoringRules } from 'graylane';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import { grayHttpHandler } from 'graylane/http';
import { rollbackGuardClientInterceptor } from 'graylane/observe/grpc-js';
import { createFileRegistry, registerGrayRouting, stageEnabledIn, type FileGrayRegistry, type GrayRouting } from 'graylane/routing';
import { createRollout, rolloutPercentIn, type GrayRollout, type RolloutAbortEvent } from 'graylane/rollout';
import { hopClient, unary, type HopClient } from '../helpers/grpc.js';
import { startHop, stopHops, type ChainHop } from '../observe/chain.js';

const ids = Array.from({ length: 10_000 }, (_, i) => `user-${i}-${(i * 7919) % 10007}`);

async function waitFor(check: () => boolean, maxMs = 5000): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  while (!check() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return check();
}

describe('rollout on a file registry, real edge and backend', () => {
  let dir: string;
  let path: string;
  let stable: ChainHop;
  let canary: ChainHop;
  let failing = false;
  let canaryCalls = 0;
  let edgeRegistry: FileGrayRegistry;
  let controllerRegistry: FileGrayRegistry;
  let routing: GrayRouting;
  let edge: http.Server;
  let port: number;
  let rules: ColoringRules;
  let client: HopClient | undefined;
  const rollouts: GrayRollout[] = [];

  beforeAll(async () => {
    stable = await startHop({ name: 'stable-1', serverInterceptors: [grayServerInterceptor()] });
    canary = await startHop({ name: 'canary-1', serverInterceptors: [grayServerInterceptor()], fail: () => { canaryCalls++; return failing ? grpc.status.INTERNAL : undefined; } });
    dir = mkdtempSync(join(tmpdir(), 'graylane-rollout-'));
    path = join(dir, 'registry.json');
    writeFileSync(path, JSON.stringify({ instances: [
      { service: 'hop', address: stable.server.address, stage: 'stable' },
      { service: 'hop', address: canary.server.address, stage: 'canary' },
    ] }));
    edgeRegistry = createFileRegistry(path, { debounceMs: 5, pollIntervalMs: 50 });
    controllerRegistry = createFileRegistry(path, { debounceMs: 5, pollIntervalMs: 50 });
    routing = registerGrayRouting({ registry: edgeRegistry, scheme: 'rollouttest' });
    rules = createColoringRules([], { rolloutPercent: rolloutPercentIn(edgeRegistry), isStageEnabled: stageEnabledIn(edgeRegistry, 'hop') });
    edge = http.createServer(grayHttpHandler(async (req, res) => {
      try {
        const reply = await unary(client!, { id: String(req.headers['x-user-id']) });
        res.end(JSON.stringify({ stage: getGrayContext()?.stage, instance: reply.hops[0]?.instance }));
      } catch (e) {
        res.statusCode = 502;
        res.end(JSON.stringify({ stage: getGrayContext()?.stage, error: (e as grpc.ServiceError).code }));
      }
    }, { rules }));
    await new Promise<void>((r) => edge.listen(0, '127.0.0.1', r));
    port = (edge.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const r of rollouts) await r.close();
    client?.close();
    edge?.close();
    routing?.close();
    await edgeRegistry?.close();
    await controllerRegistry?.close();
    await stopHops([stable, canary].filter(Boolean));
    rmSync(dir, { recursive: true, force: true });
  });

  /** One request through the edge as user `id`. */
  function call(id: string): Promise<{ stage: string; instance?: string; error?: number }> {
    return new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', headers: { 'x-user-id': id }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(JSON.parse(body) as { stage: string; instance?: string }));
      }).on('error', reject);
    });
  }

  /** The edge's canary users among the 10,000 ids, by the very rules the edge runs. */
  const canaryUsers = (): Set<string> => new Set(ids.filter((id) => rules.resolve(coloringInput({ 'x-user-id': id }, recordCarrier)) === 'canary'));

  function rollout(name: string): GrayRollout {
    const r = createRollout({
      registry: controllerRegistry, name, service: 'hop', steps: [5, 25, 50, 100], minDwellMs: 300, minCalls: 5, tickMs: 20,
      analysis: { windowMs: 3000, minSamples: 5, maxErrorRate: 0.2, maxP99Ms: 2000 }, leaseTtlSeconds: 1,
    });
    rollouts.push(r);
    rules.setRules([{ stage: 'canary', rollout: { rollout: name, header: 'x-user-id' } }]);
    client?.close();
    client = hopClient(routing.target('hop'), { interceptors: [grayClientInterceptor(), rollbackGuardClientInterceptor(r.guard)] });
    return r;
  }

  it('a healthy ramp over 4 steps reaches 100 %: each step colors its share within ±2 points, and no user ever moves back', async () => {
    const r = rollout('ramp-ok');
    const promoted = new Promise((resolve) => r.once('promoted', resolve));
    await r.start();
    const shares = new Map<number, number>();
    let previous = new Set<string>();
    let next = 0;
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline && edgeRegistry.getRollout('ramp-ok')?.state !== 'promoted') {
      const percent = edgeRegistry.getRollout('ramp-ok')?.percent;
      if (percent !== undefined && !shares.has(percent)) {
        const users = canaryUsers();
        shares.set(percent, (users.size / ids.length) * 100);
        for (const id of previous) expect(users.has(id)).toBe(true);
        previous = users;
      }
      // Real traffic through the edge: a colored user lands on the canary, everyone else on stable.
      const batch = await Promise.all(Array.from({ length: 20 }, () => ids[next++ % ids.length]!).map(async (id) => ({ id, reply: await call(id) })));
      for (const { reply } of batch) expect(reply.instance).toBe(reply.stage === 'canary' ? 'canary-1' : 'stable-1');
    }
    await promoted;
    expect(edgeRegistry.getRollout('ramp-ok')).toMatchObject({ state: 'promoted', percent: 100, step: 3 });
    expect([...shares.keys()]).toEqual([5, 25, 50, 100]);
    for (const [target, measured] of shares) expect(Math.abs(measured - target), `step ${target}%`).toBeLessThanOrEqual(2);
    expect(r.status().record?.decision?.action).toBe('promote');
    await r.complete();
    expect(await waitFor(() => edgeRegistry.getRollout('ramp-ok')?.state === 'done')).toBe(true);
    expect(canaryUsers().size).toBe(0);
  });

  it('errors injected at step 2 abort within one analysis window: stage disabled, share 0, no canary call afterwards', async () => {
    const r = rollout('ramp-bad');
    const aborted = new Promise<RolloutAbortEvent>((resolve) => r.once('aborted', resolve));
    await r.start();
    expect(await waitFor(() => !edgeRegistry.getService('hop').rules.disabledStages.includes('canary'))).toBe(true);
    let failingSince: number | undefined;
    let next = 0;
    let abortedAt: number | undefined;
    void aborted.then(() => (abortedAt = performance.now()));
    const deadline = performance.now() + 20_000;
    while (performance.now() < deadline && abortedAt === undefined) {
      if (failingSince === undefined && edgeRegistry.getRollout('ramp-bad')?.step === 1) {
        failing = true;
        failingSince = performance.now();
      }
      await Promise.all(Array.from({ length: 20 }, () => call(ids[next++ % ids.length]!)));
    }
    const event = await aborted;
    expect(failingSince).toBeDefined();
    expect(abortedAt! - failingSince!).toBeLessThan(3000); // one analysis window
    expect(event.reason).toMatch(/^error-rate: .*% > 20\.00% over \d+ calls in 3000 ms$/);
    expect(event.record).toMatchObject({ state: 'aborted', percent: 0, step: 1 });
    // The edge's registry sees it: the stage is disabled and the share is 0, so the edge colors nobody.
    expect(await waitFor(() => edgeRegistry.getService('hop').rules.disabledStages.includes('canary') && edgeRegistry.getRollout('ramp-bad')?.state === 'aborted')).toBe(true);
    expect(canaryUsers().size).toBe(0);
    const before = canaryCalls;
    const after = await Promise.all(ids.slice(0, 200).map((id) => call(id)));
    expect(after.every((a) => a.stage === 'stable' && a.instance === 'stable-1')).toBe(true);
    expect(canaryCalls - before).toBe(0);
    // Calls that still carry the canary stage (e.g. already colored upstream) fall back to stable too.
    const explicit = await unary(client!, { id: 'x' }, (() => { const md = new grpc.Metadata(); md.set('x-release-stage', 'canary'); return md; })());
    expect(explicit.hops[0]?.instance).toBe('stable-1');
    expect(canaryCalls - before).toBe(0);
    failing = false;
  });
});
