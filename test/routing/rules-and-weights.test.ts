import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaticRegistry, registerGrayRouting, type StaticGrayRegistry } from '../../src/routing/index.js';
import type { HopClient } from '../helpers/grpc.js';
import { callUnary, closeAll, eventually, routedClient, servedBy, startHop, type HopInstance } from './hop-fleet.js';

describe('weights, disabled stages and strict stages', () => {
  let fleet: HopInstance[] = [];
  let registry: StaticGrayRegistry;
  let client: HopClient;

  beforeAll(async () => {
    fleet = await Promise.all([
      startHop('w', 'stable-1', 'stable'),
      startHop('w', 'stable-2', 'stable'),
      startHop('w', 'canary-1', 'canary'),
      startHop('w', 'blue-1', 'blue'),
    ]);
    registry = createStaticRegistry(fleet.map((h) => ({ service: 'w', address: h.address, stage: h.stage, weight: h.name === 'stable-2' ? 3 : 1 })));
    registerGrayRouting({ registry });
    client = routedClient('graylane:///w');
  });
  afterAll(() => closeAll(fleet, [client]));

  it('round-robin within a stage honours instance weights', async () => {
    await eventually(async () => expect(await servedBy(client, 'blue')).toBe('blue-1'));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const name = (await callUnary(client, `w${i}`)).hops[0]!.instance;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    // Smooth weighted round-robin is exact over every full cycle of 4 picks.
    expect(counts).toEqual({ 'stable-1': 10, 'stable-2': 30 });
  });

  it('a disabled stage falls back to the default stage; re-enabling restores it', async () => {
    await registry.setStageDisabled('w', 'canary', true);
    await eventually(async () => expect(await servedBy(client, 'canary')).toMatch(/^stable-/));
    expect(await servedBy(client, 'blue')).toBe('blue-1');
    await registry.setStageDisabled('w', 'canary', false);
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('canary-1'));
  });

  it('strictStages fail only the listed stage; the default stage can never be disabled', async () => {
    registry.setRules('w', { strictStages: ['canary'], disabledStages: ['canary', 'stable'] });
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('code:14'));
    // blue has no strict rule: when blue is gone it falls back to stable.
    registry.setInstances(fleet.filter((h) => h.stage !== 'blue').map((h) => ({ service: 'w', address: h.address, stage: h.stage })));
    await eventually(async () => expect(await servedBy(client, 'blue')).toMatch(/^stable-/));
    expect(await servedBy(client, undefined)).toMatch(/^stable-/);
    const err = await callUnary(client, 'x', 'canary').catch((e: { details: string }) => e);
    expect((err as { details: string }).details).toBe("graylane: no ready instance of stage 'canary' for service 'w' (disabled, strict fallback)");
    registry.setRules('w', undefined);
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('canary-1'));
  });

  it('an unknown service fails UNAVAILABLE with a message naming it', async () => {
    const other = routedClient('graylane:///nobody');
    try {
      const err = await callUnary(other, 'x', 'canary').catch((e: { code: number; details: string }) => e);
      expect(err).toMatchObject({ code: 14 });
      expect((err as { details: string }).details).toContain("service 'nobody'");
    } finally {
      other.close();
    }
  });
});
