/**
 * The etcd cache against races between its two inputs — the prefix watch and a full read
 * (resync after a reconnection) — on a real etcd. A lagging watch and a slow full-read response
 * are produced by holding back what the real client delivers (as a slow network would), so the
 * order of events is exact: an older delete must not remove a newer route, and an older snapshot
 * must not bring back an instance deleted after it was taken.
 */
import { Etcd3, type Watcher } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdSync } from '../../src/routing/etcd-sync.js';
import { RegistryStore } from '../../src/routing/registry-store.js';
import { etcdAvailable, startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { eventually } from './hop-fleet.js';

/** A gate: `wait()` resolves once `open()` has been called. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { wait: () => p, open };
}

/**
 * The real client, with two delays a slow network can cause: full-read results held until
 * `readGate` opens, and watch `delete` events held (in order) until released one by one.
 */
function slowClient(real: Etcd3): { client: Etcd3; holdReads(): () => void; holdDeletes(): () => void } {
  let readGate: ReturnType<typeof gate> | undefined;
  let deleteQueue: (() => void)[] | undefined;
  const client = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'getAll') {
        return () => {
          const builder = target.getAll();
          const exec = builder.exec.bind(builder);
          builder.exec = async () => {
            const held = readGate;
            const res = await exec(); // the snapshot is taken now, at etcd
            await held?.wait(); // …and delivered late
            return res;
          };
          return builder;
        };
      }
      if (prop === 'watch') {
        return () => {
          const builder = target.watch();
          const create = builder.create.bind(builder);
          builder.create = async () => {
            const watcher: Watcher = await create();
            const on = watcher.on.bind(watcher) as (event: string, fn: (...a: unknown[]) => void) => Watcher;
            (watcher as unknown as { on: typeof on }).on = (event, fn) =>
              on(event, event !== 'delete' ? fn : (...args) => (deleteQueue ? deleteQueue.push(() => fn(...args)) : fn(...args)));
            return watcher;
          };
          return builder;
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return {
    client,
    holdReads() {
      const g = (readGate = gate());
      return () => {
        readGate = undefined;
        g.open();
      };
    },
    holdDeletes() {
      const queue: (() => void)[] = (deleteQueue = []);
      return () => {
        deleteQueue = undefined;
        for (const deliver of queue.splice(0)) deliver();
      };
    },
  };
}

describe.skipIf(!etcdAvailable())('etcd cache: revisions decide, not arrival order (real etcd)', () => {
  const prefix = '/graylane-rev';
  let etcd: EtcdServer;
  let raw: Etcd3;
  let watched: Etcd3;
  beforeAll(async () => {
    etcd = await startEtcd();
    raw = new Etcd3({ hosts: etcd.endpoint });
    watched = new Etcd3({ hosts: etcd.endpoint });
  }, 60_000);
  afterAll(async () => {
    raw?.close();
    watched?.close();
    await etcd?.close();
  });

  const addresses = (store: RegistryStore, service: string): string[] => store.getService(service).instances.map((i) => i.address);

  it('a watch delete older than the cached revision (the cache was refreshed by a resync) does not remove the route', async () => {
    const key = `${prefix}/services/a/canary/one`;
    await raw.put(key).value(JSON.stringify({ address: '127.0.0.1:7001' }));
    const slow = slowClient(watched);
    const sync = new EtcdSync(slow.client, prefix, new RegistryStore());
    await sync.start();
    expect(addresses(sync.store, 'a')).toEqual(['127.0.0.1:7001']);
    // The watch lags: the delete and the re-announcement happen while it is behind.
    const releaseDeletes = slow.holdDeletes();
    await raw.delete().key(key);
    await raw.put(key).value(JSON.stringify({ address: '127.0.0.1:7002' }));
    // A resync reads the newer state first.
    await sync.resync();
    expect(addresses(sync.store, 'a')).toEqual(['127.0.0.1:7002']);
    // Then the old delete arrives: it is older than what the cache holds, so it is ignored.
    releaseDeletes();
    expect(addresses(sync.store, 'a')).toEqual(['127.0.0.1:7002']);
    await new Promise((r) => setTimeout(r, 200));
    expect(addresses(sync.store, 'a')).toEqual(['127.0.0.1:7002']);
    await sync.close();
  });

  it('a resync snapshot taken before a delete does not bring the deleted instance back', async () => {
    const key = `${prefix}/services/b/canary/gone`;
    await raw.put(key).value(JSON.stringify({ address: '127.0.0.1:7003' }));
    await raw.put(`${prefix}/services/b/stable/kept`).value(JSON.stringify({ address: '127.0.0.1:7004' }));
    const slow = slowClient(watched);
    const sync = new EtcdSync(slow.client, prefix, new RegistryStore());
    await sync.start();
    expect(addresses(sync.store, 'b').sort()).toEqual(['127.0.0.1:7003', '127.0.0.1:7004']);
    // A resync takes its snapshot now, but its answer is slow to arrive…
    const releaseReads = slow.holdReads();
    const resync = sync.resync();
    await new Promise((r) => setTimeout(r, 100));
    // …and meanwhile the canary is deleted (its process died) and the watch reports it.
    await raw.delete().key(key);
    await eventually(() => expect(addresses(sync.store, 'b')).toEqual(['127.0.0.1:7004']));
    releaseReads();
    await resync;
    // The older snapshot still lists the canary: it must not come back (no later event would remove it).
    expect(addresses(sync.store, 'b')).toEqual(['127.0.0.1:7004']);
    // A later put of that key is applied as usual.
    await raw.put(key).value(JSON.stringify({ address: '127.0.0.1:7005' }));
    await eventually(() => expect(addresses(sync.store, 'b').sort()).toEqual(['127.0.0.1:7004', '127.0.0.1:7005']));
    await sync.close();
  });

  it('keys differing only in bytes that are not UTF-8 are two instances, not one', async () => {
    const base = Buffer.from(`${prefix}/services/c/canary/id-`);
    const k1 = Buffer.concat([base, Buffer.from([0xff])]);
    const k2 = Buffer.concat([base, Buffer.from([0xfe])]);
    await raw.put(k1).value(JSON.stringify({ address: '127.0.0.1:7006' }));
    await raw.put(k2).value(JSON.stringify({ address: '127.0.0.1:7007' }));
    const sync = new EtcdSync(watched, prefix, new RegistryStore());
    await sync.start();
    expect(addresses(sync.store, 'c').sort()).toEqual(['127.0.0.1:7006', '127.0.0.1:7007']);
    // Deleting one leaves the other.
    await raw.delete().key(k1);
    await eventually(() => expect(addresses(sync.store, 'c')).toEqual(['127.0.0.1:7007']));
    await sync.close();
  });

  it('one address announced under two stages (a re-staged instance whose old lease lives on) routes by the newest key only', async () => {
    const errors: Error[] = [];
    const sync = new EtcdSync(watched, prefix, new RegistryStore({ onError: (e) => errors.push(e) }));
    await sync.start();
    await raw.put(`${prefix}/services/d/stable/host-1`).value(JSON.stringify({ address: '127.0.0.1:7008' }));
    await raw.put(`${prefix}/services/d/canary/host-1`).value(JSON.stringify({ address: '127.0.0.1:7008' }));
    await eventually(() => expect(sync.store.getService('d').instances.map((i) => `${i.stage} ${i.address}`)).toEqual(['canary 127.0.0.1:7008']));
    expect(errors.some((e) => /127\.0\.0\.1:7008.*two stages|announced more than once/.test(e.message))).toBe(true);
    // The old key expires: the newest stays.
    await raw.delete().key(`${prefix}/services/d/stable/host-1`);
    await new Promise((r) => setTimeout(r, 100));
    expect(sync.store.getService('d').instances.map((i) => `${i.stage} ${i.address}`)).toEqual(['canary 127.0.0.1:7008']);
    await sync.close();
  });
});
