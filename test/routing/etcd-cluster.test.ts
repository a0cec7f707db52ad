/**
 * etcd as users run it: a real 3-member cluster on loopback. The leader is killed (SIGKILL) under
 * steady routed traffic while a registrant holds its lease: no call fails, the lease is kept (or
 * re-granted), the routers' watches resume, and a rule written after the election reaches every router.
 *
 * Worst case on purpose: etcd3 picks a random member per connection; here its deterministic order
 * (a test switch of etcd3) and an endpoint list ending with the leader make every watch and
 * keep-alive start on the leader, so the kill always breaks them. The switch is turned off just
 * before the kill, so reconnection behaves as in production (random member per attempt).
 */
import { Etcd3 } from 'etcd3';
import { ConnectionPool } from 'etcd3/lib/connection-pool.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdRegistry, registerGrayRouting, type EtcdGrayRegistry, type GrayRouting } from 'graylane/routing';
import { etcdAvailable, startEtcdCluster, type EtcdCluster } from '../helpers/etcd.js';
import type { HopClient } from '../helpers/grpc.js';
import { callUnary, closeAll, eventually, routedClient, runLoad, servedBy, startHop, type HopInstance } from './hop-fleet.js';

describe.skipIf(!etcdAvailable())('etcd as a 3-member cluster (real etcd processes)', () => {
  const prefix = '/graylane-cluster';
  const TTL = 3;
  let cluster: EtcdCluster | undefined;
  let fleet: HopInstance[] = [];
  const registries: EtcdGrayRegistry[] = [];
  const routings: GrayRouting[] = [];
  const clients: HopClient[] = [];
  let raw: Etcd3 | undefined;
  const errors: Error[] = [];
  const statuses = new Map<EtcdGrayRegistry, string[]>();
  let endpoints: string[] = [];
  const byName = (name: string): HopInstance => fleet.find((h) => h.name === name)!;
  const registry = (ttl?: number): EtcdGrayRegistry => {
    const r = createEtcdRegistry({
      endpoints, // the endpoint list: every member
      prefix,
      callTimeoutMs: 2000,
      reconnectMaxDelayMs: 500,
      ...(ttl !== undefined ? { leaseTtlSeconds: ttl } : {}),
      onError: (e) => errors.push(e),
      onStatus: (s) => statuses.get(r)!.push(s),
    });
    statuses.set(r, []);
    registries.push(r);
    return r;
  };

  beforeAll(async () => {
    cluster = await startEtcdCluster(3);
    fleet = await Promise.all([startHop('c', 'stable-1', 'stable'), startHop('c', 'stable-2', 'stable'), startHop('c', 'canary-1', 'canary')]);
    raw = new Etcd3({ hosts: [...cluster.endpoints] });
    ConnectionPool.deterministicOrder = true; // etcd3 then tries hosts from the last one
  }, 60_000);
  afterAll(async () => {
    // Everything is torn down even if a step fails; the cluster's processes are killed last (and on exit).
    try {
      for (const r of routings) r.close();
      await closeAll(fleet, clients);
      await Promise.allSettled(registries.map((r) => r.close()));
      raw?.close();
    } finally {
      ConnectionPool.deterministicOrder = false;
      await cluster?.close();
    }
  });

  it('leader killed under routed traffic: 0 failed calls, lease kept, watches resume, a later rule reaches every router', async () => {
    const leader = await cluster!.leader();
    endpoints = [...cluster!.endpoints.filter((e) => e !== leader.endpoint), leader.endpoint];
    const routers = [registry(), registry()];
    const registrant = registry(TTL);
    await Promise.all(registries.map((r) => r.ready()));
    routings.push(registerGrayRouting({ registry: routers[0]!, scheme: 'clustera' }), registerGrayRouting({ registry: routers[1]!, scheme: 'clusterb' }));
    const [a, b] = routings.map((r) => routedClient(r.target('c'))) as [HopClient, HopClient];
    clients.push(a, b);

    await registrant.register({ service: 'c', address: byName('stable-1').address, stage: 'stable' });
    await registrant.register({ service: 'c', address: byName('canary-1').address, stage: 'canary' });
    for (const c of [a, b]) await eventually(async () => expect(await servedBy(c, 'canary')).toBe('canary-1'));
    const leasesBefore = (await raw!.leaseClient.leaseLeases()).leases.map((l) => String(l.ID));
    expect(leasesBefore.length).toBe(1);

    let killedAt = Infinity;
    const results = await runLoad({
      total: 100_000,
      concurrency: 4,
      maxMs: 3 * TTL * 1000, // steady traffic for three lease TTLs: a lease not kept alive would expire meanwhile
      call: (i) => callUnary(i % 4 < 2 ? a : b, `c-${i}`, i % 2 === 0 ? 'canary' : undefined, 5000),
      onProgress: async (done) => {
        if (done !== 200) return;
        killedAt = performance.now();
        ConnectionPool.deterministicOrder = false;
        await leader.kill();
      },
    });
    expect(killedAt).toBeLessThan(Infinity);
    expect(results.filter((r) => r.code !== undefined)).toEqual([]);
    expect(results.filter((r) => r.instance === 'canary-1').length).toBe(Math.ceil(results.length / 2));
    expect(results.filter((r) => r.instance === 'stable-1').length).toBe(Math.floor(results.length / 2));

    // A new leader among the survivors.
    const next = await cluster!.leader();
    expect(next).not.toBe(leader);

    // Leases kept: more than a TTL after the kill the registrant's keys still exist, under one lease
    // (the same one, or a re-granted one if it was lost during the election).
    const keys = (await raw!.getAll().prefix(`${prefix}/services/`).exec()).kvs;
    expect(keys.map((kv) => kv.key.toString()).sort()).toEqual([`${prefix}/services/c/canary/${byName('canary-1').address}`, `${prefix}/services/c/stable/${byName('stable-1').address}`]);
    const leasesAfter = (await raw!.leaseClient.leaseLeases()).leases.map((l) => String(l.ID));
    expect(leasesAfter.length).toBe(1);
    expect(new Set(keys.map((kv) => String(kv.lease)))).toEqual(new Set(leasesAfter));
    for (const r of routers) expect(r.getService('c').instances.length).toBe(2);

    // Watches resume: an instance announced after the election reaches both routers.
    await registrant.register({ service: 'c', address: byName('stable-2').address, stage: 'stable' });
    for (const r of routers) await eventually(() => expect(r.getService('c').instances.length).toBe(3), 10_000);
    for (const c of [a, b]) {
      await eventually(async () => {
        const served = new Set<string>();
        for (let i = 0; i < 6; i++) served.add((await callUnary(c, `w-${i}`)).hops[0]!.instance);
        expect([...served].sort()).toEqual(['stable-1', 'stable-2']);
      }, 10_000);
    }

    // A rule written after the election (as the rollback guard writes it) reaches every router.
    await routers[0]!.setStageDisabled('c', 'canary', true);
    for (const c of [a, b]) await eventually(async () => expect(await servedBy(c, 'canary')).toMatch(/^stable-/), 10_000);
    // The routers' watches did break (they were on the leader) and came back.
    for (const r of routers) {
      expect(statuses.get(r)).toContain('unreachable');
      expect(r.status).toBe('ok');
    }
  }, 60_000);
});
