import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createStaticRegistry, registerGrayRouting, type GrayRouting, type GrayServiceRules } from '../../src/routing/index.js';
import type { HopClient } from '../helpers/grpc.js';
import { callUnary, closeAll, routedClient, runLoad, startHop, type HopInstance } from './hop-fleet.js';

const CONCURRENCY = 8;

describe('canary instance killed under load', () => {
  let fleet: HopInstance[] = [];
  let client: HopClient | undefined;
  let routing: GrayRouting | undefined;
  afterEach(async () => {
    await closeAll(fleet, client ? [client] : []);
    routing?.close();
    fleet = [];
    client = undefined;
  });

  async function setup(rules?: GrayServiceRules): Promise<{ stable: HopInstance; canary: HopInstance; c: HopClient }> {
    const stable = await startHop('k', 'stable-1', 'stable');
    const canary = await startHop('k', 'canary-1', 'canary');
    fleet = [stable, canary];
    const registry = createStaticRegistry(
      fleet.map((h) => ({ service: 'k', address: h.address, stage: h.stage })),
      rules === undefined ? {} : { k: rules },
    );
    routing = registerGrayRouting({ registry });
    const c = (client = routedClient('graylane:///k'));
    expect((await callUnary(c, 'warm', 'canary')).hops[0]!.instance).toBe('canary-1');
    return { stable, canary, c };
  }

  async function killMidway(canary: HopInstance, c: HopClient, stage: string): Promise<{ killedAt: number; results: Awaited<ReturnType<typeof runLoad>> }> {
    let killedAt = Infinity;
    const results = await runLoad({
      total: 400,
      concurrency: CONCURRENCY,
      maxMs: 15_000,
      call: (i) => callUnary(c, `${stage}-${i}`, stage, 3000),
      onProgress: async (done) => {
        if (done === 100) {
          killedAt = performance.now();
          await canary.server.close();
        }
      },
    });
    return { killedAt, results };
  }

  it('permissive: canary calls fall back to stable; only calls in flight at the kill fail', async () => {
    const { canary, c } = await setup();
    const { killedAt, results } = await killMidway(canary, c, 'canary');
    expect(results.length).toBe(400);
    const before = results.filter((r) => r.end < killedAt);
    expect(before.every((r) => r.instance === 'canary-1')).toBe(true);
    const failed = results.filter((r) => r.code !== undefined);
    // Only calls that were in flight when the server died may fail.
    expect(failed.length).toBeLessThanOrEqual(CONCURRENCY);
    for (const f of failed) expect(f.start).toBeLessThan(killedAt);
    const after = results.filter((r) => r.start > killedAt);
    expect(after.length).toBeGreaterThan(200);
    expect(after.every((r) => r.instance === 'stable-1')).toBe(true);
    // Fallback is effective within one second of the kill.
    const firstFallback = Math.min(...after.map((r) => r.end));
    expect(firstFallback - killedAt).toBeLessThan(1000);
  });

  it('strict: canary calls fail UNAVAILABLE naming service and stage; stable calls are unaffected', async () => {
    const { canary, c } = await setup({ fallback: 'strict' });
    const stableLoad = runLoad({ total: 200, concurrency: 2, maxMs: 15_000, call: (i) => callUnary(c, `s-${i}`, undefined, 3000) });
    const { killedAt, results } = await killMidway(canary, c, 'canary');
    const stableResults = await stableLoad;
    expect(stableResults.every((r) => r.instance === 'stable-1')).toBe(true);
    const after = results.filter((r) => r.start > killedAt);
    expect(after.length).toBeGreaterThan(200);
    expect(after.every((r) => r.code === grpc.status.UNAVAILABLE)).toBe(true);
    const named = after.filter((r) => r.details?.includes("stage 'canary'") && r.details.includes("service 'k'"));
    // Once the router knows, every canary call fails fast with a message naming service and stage.
    expect(named.length).toBeGreaterThan(200);
    expect(Math.min(...named.map((r) => r.end)) - killedAt).toBeLessThan(1000);
    expect(after.slice(-50).every((r) => named.includes(r))).toBe(true);
    expect(results.some((r) => r.instance === 'stable-1')).toBe(false);
  });
});
