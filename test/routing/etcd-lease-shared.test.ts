/**
 * One lease per etcd registry: every `register()` of a registry hangs off one shared lease (one
 * keep-alive stream), an unregister deletes only its key, the lease is revoked with the last
 * registration or on close, and a lost lease is re-granted with every live key written again.
 */
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdRegistry, type EtcdGrayRegistry, type EtcdRegistration } from 'graylane/routing';
import { etcdAvailable, startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { eventually } from './hop-fleet.js';

describe.skipIf(!etcdAvailable())('etcd registry: one shared lease per registry (real etcd)', () => {
  let etcd: EtcdServer;
  let raw: Etcd3;
  const registries: EtcdGrayRegistry[] = [];

  const leases = async (): Promise<string[]> => (await raw.leaseClient.leaseLeases()).leases.map((l) => String(l.ID));
  const keysUnder = async (prefix: string): Promise<{ key: string; lease: string }[]> =>
    (await raw.getAll().prefix(`${prefix}/`).exec()).kvs.map((kv) => ({ key: kv.key.toString(), lease: String(kv.lease) }));
  const registry = (prefix: string): EtcdGrayRegistry => {
    const r = createEtcdRegistry({ endpoints: etcd.endpoint, prefix, leaseTtlSeconds: 3, reconnectMaxDelayMs: 200 });
    registries.push(r);
    return r;
  };
  const instance = (i: number) => ({ service: 'fleet', address: `10.0.${Math.floor(i / 250)}.${i % 250}:50051`, stage: i % 10 === 0 ? 'canary' : 'stable' });

  beforeAll(async () => {
    etcd = await startEtcd();
    raw = new Etcd3({ hosts: etcd.endpoint });
  });
  afterAll(async () => {
    await Promise.all(registries.map((r) => r.close()));
    raw?.close();
    await etcd?.close();
  });

  it('1,000 registrations hold 1 lease; unregistering deletes only that key; the last one revokes the lease', async () => {
    const r = registry('/lease-many');
    await r.ready();
    const regs: EtcdRegistration[] = [];
    for (let i = 0; i < 1000; i += 100) {
      regs.push(...(await Promise.all(Array.from({ length: 100 }, (_, j) => r.register(instance(i + j))))));
    }
    const keys = await keysUnder('/lease-many');
    expect(keys.length).toBe(1000);
    expect(new Set(keys.map((k) => k.lease)).size).toBe(1);
    expect(await leases()).toEqual([keys[0]!.lease]);
    await eventually(() => expect(r.getService('fleet').instances.length).toBe(1000));

    await regs[0]!.close();
    await regs[0]!.close(); // idempotent
    const after = await keysUnder('/lease-many');
    expect(after.length).toBe(999);
    expect(after.some((k) => k.key === regs[0]!.key)).toBe(false);
    expect(await leases()).toEqual([keys[0]!.lease]);
    await eventually(() => expect(r.getService('fleet').instances.length).toBe(999));

    await Promise.all(regs.slice(1).map((reg) => reg.close()));
    expect(await keysUnder('/lease-many')).toEqual([]);
    expect(await leases()).toEqual([]);

    // A registration after the last one went takes a fresh lease.
    const again = await r.register(instance(1));
    const fresh = await keysUnder('/lease-many');
    expect(fresh.map((k) => k.key)).toEqual([again.key]);
    expect(await leases()).toEqual([fresh[0]!.lease]);
    expect(fresh[0]!.lease).not.toBe(keys[0]!.lease);
    await again.close();
    expect(await leases()).toEqual([]);
  }, 60_000);

  it('a lost lease is re-granted once and every live registration is written again (closed ones are not)', async () => {
    const errors: Error[] = [];
    const r = createEtcdRegistry({ endpoints: etcd.endpoint, prefix: '/lease-lost', leaseTtlSeconds: 3, reconnectMaxDelayMs: 200, onError: (e) => errors.push(e) });
    registries.push(r);
    const regs = await Promise.all([0, 1, 2, 3, 4].map((i) => r.register(instance(i))));
    await regs[4]!.close();
    const [first] = await leases();
    expect(first).toBeDefined();
    await raw.leaseClient.leaseRevoke({ ID: first! });
    await eventually(async () => {
      const keys = await keysUnder('/lease-lost');
      expect(keys.map((k) => k.key).sort()).toEqual(regs.slice(0, 4).map((g) => g.key).sort());
      expect(new Set(keys.map((k) => k.lease)).size).toBe(1);
      expect(keys[0]!.lease).not.toBe(first);
    }, 15_000);
    expect((await leases()).length).toBe(1);
    expect(errors.some((e) => /lease .*lost/.test(e.message))).toBe(true);
    await eventually(() => expect(r.getService('fleet').instances.length).toBe(4));
    // A new registration joins the new lease.
    const late = await r.register(instance(7));
    const keys = await keysUnder('/lease-lost');
    expect(new Set(keys.map((k) => k.lease)).size).toBe(1);
    expect(keys.map((k) => k.key)).toContain(late.key);
  }, 30_000);

  it('close() revokes the shared lease: every key of the registry disappears at once', async () => {
    const r = registry('/lease-close');
    await Promise.all([0, 1, 2].map((i) => r.register(instance(i))));
    expect((await keysUnder('/lease-close')).length).toBe(3);
    const before = await leases();
    await r.close();
    expect(await keysUnder('/lease-close')).toEqual([]);
    const left = await leases();
    expect(left.length).toBe(before.length - 1);
  });

  it('registering while the last registration closes still leaves the new key announced', async () => {
    const r = registry('/lease-race');
    for (let round = 0; round < 5; round++) {
      const old = await r.register(instance(round));
      const [, fresh] = await Promise.all([old.close(), r.register(instance(round + 100))]);
      const keys = await keysUnder('/lease-race');
      expect(keys.map((k) => k.key)).toEqual([fresh.key]);
      await fresh.close();
    }
    expect(await keysUnder('/lease-race')).toEqual([]);
  });

  it('re-registering the same id replaces the announcement; closing the older handle leaves the newer one', async () => {
    const r = registry('/lease-same');
    const a = await r.register({ service: 'fleet', address: '10.1.0.1:50051', stage: 'stable' }, { id: 'one' });
    const b = await r.register({ service: 'fleet', address: '10.1.0.1:50051', stage: 'stable', weight: 5 }, { id: 'one' });
    expect(b.key).toBe(a.key);
    await a.close();
    const keys = (await raw.getAll().prefix('/lease-same/').strings());
    expect(Object.keys(keys)).toEqual([b.key]);
    expect(JSON.parse(keys[b.key]!)).toMatchObject({ weight: 5 });
    await b.close();
    expect(await keysUnder('/lease-same')).toEqual([]);
  });
});
