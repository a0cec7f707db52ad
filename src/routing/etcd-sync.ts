/**
 * The etcd read side: a full read of `<prefix>/` followed by a prefix watch into a local cache;
 * outages are reported and every reconnection triggers a full re-read (resynchronisation).
 * Loaded only by `createEtcdRegistry`.
 * @packageDocumentation
 */
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { RegistryStore } from './registry-store.js';
import type { GrayInstance, GrayServiceRules } from './types.js';
import { normalizeInstance, normalizeRules } from './validate.js';

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

/** Keeps a {@link RegistryStore} in step with everything under `<prefix>/`. */
export class EtcdSync {
  private readonly entries = new Map<string, { parsed: Parsed; rev: number }>();
  private watcher: Watcher | undefined;
  private closed = false;
  private resyncing: Promise<void> | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    readonly store: RegistryStore,
  ) {}

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
    const res = await this.client.getAll().prefix(`${this.prefix}/`).exec();
    const revision = Number(res.header.revision);
    const seen = new Set<string>();
    const touched = new Set<string>();
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      seen.add(key);
      this.applyPut(kv, touched);
    }
    for (const [key, entry] of this.entries) {
      // Keys gone at `revision` — unless a newer watch event re-created them meanwhile.
      if (!seen.has(key) && entry.rev <= revision) {
        this.entries.delete(key);
        touched.add(entry.parsed.service);
      }
    }
    this.publish(touched);
    return revision;
  }

  /** Applies this process's own write at once (the watch event that follows is then a no-op). */
  applyLocal(key: string, value: string | undefined, revision: number): void {
    if (value === undefined) {
      const existing = this.entries.get(key);
      if (existing === undefined || existing.rev > revision) return;
      this.entries.delete(key);
      this.publish(new Set([existing.parsed.service]));
      return;
    }
    this.applyPut({ key: Buffer.from(key), value: Buffer.from(value), mod_revision: String(revision) } as IKeyValue);
  }

  private parse(key: string, value: string): Parsed | undefined {
    const rest = key.slice(this.prefix.length + 1).split('/');
    try {
      if (rest[0] === 'rules' && rest.length === 2) {
        return { kind: 'rules', service: rest[1]!, value: normalizeRules(JSON.parse(value), `etcd ${key}`) };
      }
      if (rest[0] === 'services' && rest.length >= 4) {
        const body = JSON.parse(value) as Record<string, unknown>;
        const inst = normalizeInstance({ ...body, service: rest[1], stage: rest[2] }, `etcd ${key}`);
        return { kind: 'instance', service: inst.service, value: inst };
      }
    } catch (e) {
      this.store.reportError(e);
    }
    return undefined;
  }

  private applyPut(kv: IKeyValue, batch?: Set<string>): void {
    const key = kv.key.toString();
    const rev = Number(kv.mod_revision);
    const existing = this.entries.get(key);
    if (existing !== undefined && existing.rev > rev) return;
    const parsed = this.parse(key, kv.value.toString());
    const touched = batch ?? new Set<string>();
    if (existing !== undefined) touched.add(existing.parsed.service);
    if (parsed === undefined) this.entries.delete(key);
    else {
      this.entries.set(key, { parsed, rev });
      touched.add(parsed.service);
    }
    if (batch === undefined) this.publish(touched);
  }

  private applyDelete(kv: IKeyValue): void {
    const key = kv.key.toString();
    const existing = this.entries.get(key);
    if (existing === undefined) return;
    this.entries.delete(key);
    this.publish(new Set([existing.parsed.service]));
  }

  private publish(services: Set<string>): void {
    for (const service of services) {
      const instances: GrayInstance[] = [];
      let rules: Rules | undefined;
      for (const { parsed } of this.entries.values()) {
        if (parsed.service !== service) continue;
        if (parsed.kind === 'instance') instances.push(parsed.value);
        else rules = parsed.value;
      }
      instances.sort((a, b) => (a.stage + a.address < b.stage + b.address ? -1 : 1));
      this.store.setInstances(service, instances);
      this.store.setRules(service, rules);
    }
  }
}
