/**
 * The etcd read side: a full read of `<prefix>/` followed by a prefix watch into a local cache;
 * outages are reported and every reconnection triggers a full re-read (resynchronisation).
 * Loaded only by `createEtcdRegistry`.
 * @packageDocumentation
 */
import type { Etcd3, IKeyValue, IRangeResponse, Watcher } from 'etcd3';
import { RegistryStore } from './registry-store.js';
import type { RolloutRecords } from './rollout-records.js';
import type { GrayInstance, GrayServiceRules } from './types.js';
import { normalizeInstance, normalizeRules, quote, requireService } from './validate.js';

type Rules = Required<GrayServiceRules>;
type Parsed = { kind: 'instance'; service: string; value: GrayInstance } | { kind: 'rules'; service: string; value: Rules };

/** Key of an instance: `<prefix>/services/<service>/<stage>/<id>`. */
export function instanceKey(prefix: string, inst: GrayInstance, id: string): string {
  return `${prefix}/services/${inst.service}/${inst.stage}/${id}`;
}

/** Key of a service's rules: `<prefix>/rules/<service>`. */
export function rulesKey(prefix: string, service: string): string {
  return `${prefix}/rules/${service}`;
}

/** Key of a rollout record: `<prefix>/rollouts/<name>`. */
export function rolloutKey(prefix: string, name: string): string {
  return `${prefix}/rollouts/${name}`;
}

/** Map key of an etcd key: its bytes as latin1, so keys that differ only in non-UTF-8 bytes stay apart. */
function idOf(key: Buffer): string {
  return key.toString('latin1');
}

/**
 * Keeps a {@link RegistryStore} in step with everything under `<prefix>/`. The watch and the full
 * reads (start, resync) can deliver out of order; the revision of each key decides: an event or a
 * snapshot older than what the cache holds for that key is ignored, and a delete seen while a full
 * read is in flight is remembered (tombstone) so that read's older snapshot cannot bring it back.
 */
export class EtcdSync {
  private readonly entries = new Map<string, { parsed: Parsed; rev: number }>();
  /** Deletes seen while a full read is in flight: key → revision of the delete. */
  private readonly tombstones = new Map<string, number>();
  private readsInFlight = 0;
  private watcher: Watcher | undefined;
  private closed = false;
  private resyncing: Promise<void> | undefined;
  /** Revision of each rollout record applied (name → mod revision): older events are ignored. */
  private readonly rolloutRevs = new Map<string, number>();

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    readonly store: RegistryStore,
    private readonly rollouts?: RolloutRecords,
  ) {}

  /** The rollout name of `key`, when it is a rollout record's key. */
  private rolloutName(key: string): string | undefined {
    const head = `${this.prefix}/rollouts/`;
    return key.startsWith(head) ? key.slice(head.length) : undefined;
  }

  /** Applies a rollout record put (`value`) or delete (`undefined`) unless an newer one was applied. */
  private applyRollout(name: string, value: string | undefined, rev: number): void {
    if (this.rollouts === undefined || (this.rolloutRevs.get(name) ?? -1) > rev) return;
    this.rolloutRevs.set(name, rev);
    if (value === undefined) return this.rollouts.delete(name);
    let raw: unknown;
    try {
      raw = JSON.parse(value);
    } catch {
      raw = Symbol('not JSON'); // refused by validation, reported, last good kept
    }
    this.rollouts.apply(name, raw, `etcd key ${quote(rolloutKey(this.prefix, name))}`);
  }

  /** Initial full read, then the watch. Rejects when etcd cannot be reached. */
  async start(): Promise<void> {
    const revision = await this.fullRead();
    const watcher = await this.client.watch().prefix(`${this.prefix}/`).startRevision(String(revision + 1)).create();
    this.watcher = watcher;
    watcher.on('put', (kv) => this.applyPut(kv));
    watcher.on('delete', (kv) => this.applyDelete(kv));
    watcher.on('disconnected', (err) => {
      if (this.closed || this.store.status === 'unreachable') return; // report an outage once, not every retry
      this.store.setStatus('unreachable');
      this.store.reportError(new Error(`graylane: etcd unreachable, serving routes from the local cache: ${err.message}`));
    });
    watcher.on('connected', () => {
      if (this.closed || this.store.status === 'ok') return;
      void this.resync();
    });
    watcher.on('error', (err) => this.store.reportError(err));
    this.store.setStatus('ok');
  }

  /** Re-reads everything (after a reconnection); status turns `'ok'` once done. */
  resync(): Promise<void> {
    this.resyncing ??= this.fullRead()
      .then(() => {
        if (!this.closed) this.store.setStatus('ok');
      }, (err: Error) => this.store.reportError(err))
      .finally(() => {
        this.resyncing = undefined;
      });
    return this.resyncing;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.cancel().catch(() => undefined);
  }

  private async fullRead(): Promise<number> {
    this.readsInFlight++;
    let res: IRangeResponse;
    try {
      res = await this.client.getAll().prefix(`${this.prefix}/`).exec();
    } finally {
      this.readsInFlight--;
    }
    const revision = Number(res.header.revision);
    const seen = new Set<string>();
    const touched = new Set<string>();
    const rolloutsSeen = new Set<string>();
    for (const kv of res.kvs) {
      seen.add(idOf(kv.key));
      const name = this.rolloutName(kv.key.toString());
      if (name !== undefined) rolloutsSeen.add(name);
      this.applyPut(kv, touched);
    }
    for (const [name, rev] of this.rolloutRevs) {
      if (!rolloutsSeen.has(name) && rev <= revision) this.applyRollout(name, undefined, revision);
    }
    for (const [key, entry] of this.entries) {
      // Keys gone at `revision` — unless a newer watch event re-created them meanwhile.
      if (!seen.has(key) && entry.rev <= revision) {
        this.entries.delete(key);
        touched.add(entry.parsed.service);
      }
    }
    // A later read is issued after every delete seen so far: tombstones are needed only while one is in flight.
    if (this.readsInFlight === 0) this.tombstones.clear();
    this.publish(touched);
    return revision;
  }

  /** Applies this process's own write at once (the watch event that follows is then a no-op). */
  applyLocal(key: string, value: string | undefined, revision: number): void {
    if (value === undefined) {
      this.applyDelete({ key: Buffer.from(key), mod_revision: String(revision) } as IKeyValue);
      return;
    }
    this.applyPut({ key: Buffer.from(key), value: Buffer.from(value), mod_revision: String(revision) } as IKeyValue);
  }

  private parse(key: string, value: string): Parsed | undefined {
    const rest = key.slice(this.prefix.length + 1).split('/');
    const where = `etcd key ${quote(key)}`;
    try {
      if (rest[0] === 'rules' && rest.length === 2) {
        const service = requireService(rest[1], where);
        return { kind: 'rules', service, value: normalizeRules(JSON.parse(value), where) };
      }
      if (rest[0] === 'services' && rest.length >= 4) {
        const body: unknown = JSON.parse(value);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error(`graylane: ${where}: the value must be a JSON object { address, weight?, meta? }.`);
        const inst = normalizeInstance({ ...body, service: rest[1], stage: rest[2] }, where);
        return { kind: 'instance', service: inst.service, value: inst };
      }
    } catch (e) {
      this.store.reportError(e);
    }
    return undefined;
  }

  private applyPut(kv: IKeyValue, batch?: Set<string>): void {
    const id = idOf(kv.key);
    const rev = Number(kv.mod_revision);
    const rollout = this.rolloutName(kv.key.toString());
    if (rollout !== undefined) return this.applyRollout(rollout, kv.value.toString(), rev);
    const existing = this.entries.get(id);
    if (existing !== undefined && existing.rev > rev) return;
    const deletedAt = this.tombstones.get(id);
    if (deletedAt !== undefined) {
      if (deletedAt > rev) return; // a snapshot older than the delete
      this.tombstones.delete(id);
    }
    const parsed = this.parse(kv.key.toString(), kv.value.toString());
    const touched = batch ?? new Set<string>();
    if (existing !== undefined) touched.add(existing.parsed.service);
    if (parsed === undefined) this.entries.delete(id);
    else {
      this.entries.set(id, { parsed, rev });
      touched.add(parsed.service);
    }
    if (batch === undefined) this.publish(touched);
  }

  private applyDelete(kv: IKeyValue): void {
    const id = idOf(kv.key);
    const rev = Number(kv.mod_revision);
    const rollout = this.rolloutName(kv.key.toString());
    if (rollout !== undefined) return this.applyRollout(rollout, undefined, rev);
    if (this.readsInFlight > 0 && !((this.tombstones.get(id) ?? -1) > rev)) this.tombstones.set(id, rev);
    const existing = this.entries.get(id);
    if (existing === undefined || existing.rev > rev) return; // unknown, or re-created after this delete
    this.entries.delete(id);
    this.publish(new Set([existing.parsed.service]));
  }

  private publish(services: Set<string>): void {
    for (const service of services) {
      // One address serves one stage: when it is announced under several keys (a re-staged
      // instance whose old lease has not expired yet), the newest key wins.
      const byAddress = new Map<string, { inst: GrayInstance; rev: number }>();
      let rules: Rules | undefined;
      for (const { parsed, rev } of this.entries.values()) {
        if (parsed.service !== service) continue;
        if (parsed.kind === 'rules') {
          rules = parsed.value;
          continue;
        }
        const previous = byAddress.get(parsed.value.address);
        if (previous !== undefined) {
          this.store.reportError(new Error(`graylane: etcd: address ${quote(parsed.value.address)} of service '${service}' is announced more than once (stages '${previous.inst.stage}' and '${parsed.value.stage}'); routing uses the newest announcement.`));
          if (previous.rev > rev) continue;
        }
        byAddress.set(parsed.value.address, { inst: parsed.value, rev });
      }
      const instances = [...byAddress.values()].map((e) => e.inst);
      instances.sort((a, b) => (a.stage + a.address < b.stage + b.address ? -1 : 1));
      this.store.setInstances(service, instances);
      this.store.setRules(service, rules);
    }
  }
}
