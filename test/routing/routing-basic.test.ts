import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaticRegistry, registerGrayRouting, type StaticGrayRegistry } from '../../src/routing/index.js';
import { callUnary, closeAll, routedClient, startHop, type HopInstance } from './hop-fleet.js';

describe('graylane routing over one channel (static registry)', () => {
  let fleet: HopInstance[] = [];
  let registry: StaticGrayRegistry;
  let client: ReturnType<typeof routedClient>;

  beforeAll(async () => {
    fleet = await Promise.all([
      startHop('svc', 'stable-1', 'stable'),
      startHop('svc', 'stable-2', 'stable'),
      startHop('svc', 'canary-1', 'canary'),
    ]);
    registry = createStaticRegistry(fleet.map((h) => ({ service: 'svc', address: h.address, stage: h.stage })));
    registerGrayRouting({ registry });
    client = routedClient('graylane:///svc');
  });
  afterAll(() => closeAll(fleet, [client]));

  it('sends canary calls to canary and others to stable', async () => {
    const seen = { canary: new Set<string>(), stable: new Set<string>(), untagged: new Set<string>(), junk: new Set<string>() };
    for (let i = 0; i < 12; i++) {
      seen.canary.add((await callUnary(client, `c${i}`, 'canary')).hops[0]!.instance);
      seen.stable.add((await callUnary(client, `s${i}`, 'stable')).hops[0]!.instance);
      seen.untagged.add((await callUnary(client, `u${i}`)).hops[0]!.instance);
      seen.junk.add((await callUnary(client, `j${i}`, 'NOT A STAGE!')).hops[0]!.instance);
    }
    expect([...seen.canary]).toEqual(['canary-1']);
    expect([...seen.stable].sort()).toEqual(['stable-1', 'stable-2']);
    expect([...seen.untagged].sort()).toEqual(['stable-1', 'stable-2']);
    expect([...seen.junk].sort()).toEqual(['stable-1', 'stable-2']);
  });

  it('keeps routing after the channel went idle (resolver destroyed and re-resolved)', async () => {
    const idle = routedClient('graylane:///svc', { 'grpc.client_idle_timeout_ms': 1000 });
    try {
      expect((await callUnary(idle, 'a', 'canary')).hops[0]!.instance).toBe('canary-1');
      await new Promise((r) => setTimeout(r, 2500));
      expect(idle.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.IDLE);
      expect((await callUnary(idle, 'b', 'canary')).hops[0]!.instance).toBe('canary-1');
      expect((await callUnary(idle, 'c')).hops[0]!.instance).toMatch(/^stable-/);
    } finally {
      idle.close();
    }
  });
});
