/**
 * Bounded connections: `registerGrayRouting({ subset: { size } })` connects each channel to a
 * deterministic per-client subset of a stage's instances (all of a stage's instances when it has
 * `size` or fewer), counted here as real TCP connections in /proc/net/tcp.
 */
import * as grpc from '@grpc/grpc-js';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError } from 'graylane';
import { createStaticRegistry, registerGrayRouting, type GrayInstance, type GrayRouting, type StaticGrayRegistry } from 'graylane/routing';
import type { HopClient } from '../helpers/grpc.js';
import { callUnary, closeAll, eventually, routedClient, runLoad, type HopInstance, startHop } from './hop-fleet.js';

/** Established TCP connections whose local (server) port is `port`. */
function connectionsTo(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '01') count++;
  }
  return count;
}

/** The instances that served `n` untagged (or `stage`-tagged) calls. */
async function servedSet(client: HopClient, n: number, stage?: string): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add((await callUnary(client, `s-${i}`, stage)).hops[0]!.instance);
  return [...seen].sort();
}

describe.skipIf(!existsSync('/proc/net/tcp'))('bounded connections: subset', () => {
  let stable: HopInstance[] = [];
  let canary: HopInstance[] = [];
  let registry: StaticGrayRegistry;
  const routings: GrayRouting[] = [];
  const clients: HopClient[] = [];
  const asInstance = (h: HopInstance): GrayInstance => ({ service: 'sub', address: h.address, stage: h.stage });
  const client = (scheme: string, clientId: string, size = 4): HopClient => {
    const routing = registerGrayRouting({ registry, scheme, subset: { size, clientId } });
    routings.push(routing);
    const c = routedClient(routing.target('sub'));
    clients.push(c);
    return c;
  };
  const connected = (fleet: readonly HopInstance[]): string[] => fleet.filter((h) => connectionsTo(h.server.port) > 0).map((h) => h.name).sort();

  beforeAll(async () => {
    stable = await Promise.all(Array.from({ length: 20 }, (_, i) => startHop('sub', `stable-${String(i).padStart(2, '0')}`, 'stable')));
    canary = await Promise.all([startHop('sub', 'canary-1', 'canary'), startHop('sub', 'canary-2', 'canary')]);
    registry = createStaticRegistry([...stable, ...canary].map(asInstance));
  });
  afterAll(async () => {
    for (const r of routings) r.close();
    await closeAll([...stable, ...canary], clients);
  });

  it('a malformed subset throws GrayConfigError saying what to fix; no subset keeps the default (every instance)', () => {
    expect(() => registerGrayRouting({ registry, scheme: 'subx', subset: { size: 0 } })).toThrow(GrayConfigError);
    expect(() => registerGrayRouting({ registry, scheme: 'subx', subset: { size: 2.5 } })).toThrow(/subset.size must be an integer >= 1/);
    expect(() => registerGrayRouting({ registry, scheme: 'subx', subset: { size: 3, clientId: '' } })).toThrow(/subset.clientId/);
    const plain = registerGrayRouting({ registry, scheme: 'subx' });
    expect(plain.subset).toBeUndefined();
    expect(() => registerGrayRouting({ registry, scheme: 'subx', subset: { size: 3 } })).toThrow(/different registry, policy or subset/);
    plain.close();
    const defaulted = registerGrayRouting({ registry, scheme: 'subx', subset: { size: 3 } });
    expect(defaulted.subset?.clientId).toMatch(/^[0-9a-f-]{36}$/);
    // Idempotent: the same options again (the per-process id is the same) give the same registration.
    expect(registerGrayRouting({ registry, scheme: 'subx', subset: { size: 3 } }).subset).toEqual(defaulted.subset);
    defaulted.close();
  });

  it('20 stable instances, subset 4: the client connects to exactly 4 stable instances and every canary', async () => {
    const a = client('suba', 'client-a');
    const served = await servedSet(a, 40);
    expect(served.length).toBe(4);
    expect(await servedSet(a, 10, 'canary')).toEqual(['canary-1', 'canary-2']);
    await eventually(() => {
      expect(stable.reduce((n, h) => n + connectionsTo(h.server.port), 0)).toBe(4);
      expect(connected(stable)).toEqual(served);
      expect(canary.map((h) => connectionsTo(h.server.port))).toEqual([1, 1]);
    });
    expect(routings[0]!.subset).toEqual({ size: 4, clientId: 'client-a' });
  });

  it('the same id gets the same subset, another id another one; a membership change moves at most one member', async () => {
    const a = await servedSet(client('suba2', 'client-a'), 40);
    expect(await servedSet(client('suba3', 'client-a'), 40)).toEqual(a);
    const b = await servedSet(client('subb', 'client-b'), 40);
    expect(b.length).toBe(4);
    expect(b).not.toEqual(a);

    const watched = client('subm', 'client-m');
    const before = await servedSet(watched, 40);
    // Removing an instance outside the subset changes nothing.
    const outsider = stable.find((h) => !before.includes(h.name))!;
    registry.setInstances([...stable, ...canary].filter((h) => h !== outsider).map(asInstance));
    await new Promise((r) => setTimeout(r, 100));
    expect(await servedSet(watched, 40)).toEqual(before);
    // Removing a member replaces exactly that member.
    const member = stable.find((h) => h.name === before[0])!;
    registry.setInstances([...stable, ...canary].filter((h) => h !== outsider && h !== member).map(asInstance));
    await eventually(async () => expect(await servedSet(watched, 40)).not.toContain(member.name));
    const after = await servedSet(watched, 40);
    expect(after.length).toBe(4);
    expect(after.filter((n) => before.includes(n))).toEqual(before.slice(1));
    registry.setInstances([...stable, ...canary].map(asInstance));
  });

  it('different client ids spread evenly over the instances', async () => {
    const count = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      const c = client(`spread${i}`, `pod-${i}`);
      for (const name of await servedSet(c, 8)) count.set(name, (count.get(name) ?? 0) + 1);
      c.close();
      routings.at(-1)!.close();
    }
    // 100 clients × 4 = 400 memberships over 20 instances: 20 each on average (binomial, sd 4).
    expect(count.size).toBe(20);
    expect(Math.max(...count.values())).toBeLessThanOrEqual(44);
    expect(Math.min(...count.values())).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('subset members stopped under load: 0 failed calls, the subset refills from the next-ranked instances', async () => {
    // A fleet of its own, so the connections counted are this client's only.
    const own = await Promise.all(Array.from({ length: 10 }, (_, i) => startHop('subk', `k-stable-${i}`, 'stable')));
    const ownCanary = await startHop('subk', 'k-canary', 'canary');
    const kRegistry = createStaticRegistry([...own, ownCanary].map((h) => ({ service: 'subk', address: h.address, stage: h.stage })));
    const routing = registerGrayRouting({ registry: kRegistry, scheme: 'subk', subset: { size: 4, clientId: 'client-k' } });
    const c = routedClient(routing.target('subk'));
    try {
      const members = await servedSet(c, 40);
      await eventually(() => expect(connected(own)).toEqual(members));
      const victims = own.filter((h) => members.slice(0, 2).includes(h.name));
      let stoppedAt = Infinity;
      const results = await runLoad({
        total: 20_000,
        concurrency: 4,
        maxMs: 3000, // steady traffic for 3 s
        // A stream the stopping server refused (HTTP/2 REFUSED_STREAM, after its GOAWAY crossed the
        // call on the wire) was never processed: retrying it once is what any client's retry policy
        // does, and not a failed call. Everything else counts.
        call: (i) => {
          const stage = i % 2 === 0 ? 'canary' : undefined;
          return callUnary(c, `k-${i}`, stage, 5000).catch((e: grpc.ServiceError) =>
            e.code === grpc.status.UNAVAILABLE && /refused/i.test(e.details) ? callUnary(c, `k-${i}`, stage, 5000) : Promise.reject(e));
        },
        onProgress: async (done) => {
          if (done !== 200) return;
          stoppedAt = performance.now();
          // A rolling restart: the processes stop (gracefully) but stay in the registry.
          await Promise.all(victims.map((v) => new Promise<void>((r) => v.server.server.tryShutdown(() => r()))));
        },
      });
      expect(results.length).toBeGreaterThan(300);
      expect(results.filter((r) => r.code !== undefined)).toEqual([]);
      // Calls 0..n-1 all completed; the even ones (canary-tagged) all reached the canary.
      expect(results.filter((r) => r.instance === 'k-canary').length).toBe(Math.ceil(results.length / 2));
      const late = results.filter((r) => r.start > stoppedAt + 500 && r.instance !== 'k-canary');
      expect(late.length).toBeGreaterThan(50);
      const servedLate = [...new Set(late.map((r) => r.instance!))].sort();
      expect(servedLate.length).toBe(4);
      expect(servedLate).toEqual(expect.arrayContaining(members.slice(2)));
      expect(servedLate.some((n) => victims.some((v) => v.name === n))).toBe(false);
      // Still bounded: the 4 serving instances, the canary, and nothing else.
      const live = own.filter((h) => !victims.includes(h));
      await eventually(() => expect(connected(live)).toEqual(servedLate));
      expect(connectionsTo(ownCanary.server.port)).toBe(1);
      // Once the dead members leave the registry, the same 4 remain (they are now the top of the ranking).
      kRegistry.setInstances([...live, ownCanary].map((h) => ({ service: 'subk', address: h.address, stage: h.stage })));
      await new Promise((r) => setTimeout(r, 100));
      expect(await servedSet(c, 40)).toEqual(servedLate);
    } finally {
      c.close();
      routing.close();
      await closeAll([...own, ownCanary]);
    }
  }, 60_000);
});
