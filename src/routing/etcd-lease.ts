/**
 * Announcing instances in etcd: every registration of one registry hangs off ONE shared lease (one
 * keep-alive stream), as etcd's own session practice does. Unregistering deletes its key only; the
 * lease is revoked with the last registration and on close; a lost lease (etcd outage longer than
 * the TTL, a revoked lease) is re-granted and every live key written again.
 * Loaded only by `createEtcdRegistry`.
 * @packageDocumentation
 */
import type { Etcd3, Lease } from 'etcd3';

/** A live announcement made by `register`. */
export interface EtcdRegistration {
  /** The etcd key of the instance. */
  readonly key: string;
  /**
   * Deletes the key (the instance disappears from every router) and stops re-announcing it; the
   * registry's shared lease is revoked when this was its last registration. Idempotent.
   */
  close(): Promise<void>;
}

/** What the registry passes in. */
export interface LeaseDeps {
  readonly client: Etcd3;
  readonly ttlSeconds: number;
  readonly retryMs: number;
  readonly onWritten: (key: string, value: string | undefined, revision: number) => void;
  readonly onError: (error: Error) => void;
}

interface Entry {
  readonly key: string;
  readonly value: string;
  closed: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function isLeaseGone(e: unknown): boolean {
  const err = e as { name?: string; message?: string };
  return err?.name === 'EtcdLeaseInvalidError' || /lease not found/i.test(err?.message ?? '');
}

/** The registrations of one registry and the one lease they share. */
export class SharedLease {
  /** Live announcements by key (a second `register` of the same key replaces the first). */
  private readonly live = new Map<string, Entry>();
  /** Tail of the etcd writes per key, so a key's put and delete never overtake each other. */
  private readonly queues = new Map<string, Promise<void>>();
  private lease: Lease | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly deps: LeaseDeps) {}

  /** Writes `value` under `key` on the shared lease; resolves once the write succeeded. */
  async announce(key: string, value: string): Promise<EtcdRegistration> {
    if (this.closed) throw new Error('graylane: register: the etcd registry is closed.');
    const entry: Entry = { key, value, closed: false };
    this.live.set(key, entry);
    // The first write is retried briefly: right after an outage etcd3's circuit breaker may still be open.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.queue(key, () => this.write(entry));
        break;
      } catch (e) {
        if (attempt >= 3 || this.closed || this.live.get(key) !== entry) {
          await this.withdraw(entry);
          throw e;
        }
        await sleep(this.deps.retryMs);
      }
    }
    return { key, close: () => this.withdraw(entry) };
  }

  /** Revokes the lease: every key of the registry disappears at once. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry !== undefined) clearTimeout(this.retry);
    for (const entry of this.live.values()) entry.closed = true;
    this.live.clear();
    await this.revoke();
  }

  /** The current lease, granted on first use (etcd3 keeps it alive). */
  private current(): Lease {
    if (this.lease !== undefined) return this.lease;
    const lease = this.deps.client.lease(this.deps.ttlSeconds, { autoKeepAlive: true });
    lease.on('lost', (err) => {
      if (this.lease !== lease) return;
      this.lease = undefined;
      lease.release();
      if (this.closed || this.live.size === 0) return;
      this.deps.onError(new Error(`graylane: etcd lease of ${this.live.size} registration(s) lost (${err.message}); re-announcing`));
      this.scheduleReannounce();
    });
    this.lease = lease;
    return lease;
  }

  private async write(entry: Entry): Promise<void> {
    if (entry.closed || this.live.get(entry.key) !== entry) return; // superseded or withdrawn meanwhile
    const lease = this.current();
    try {
      const res = await lease.put(entry.key).value(entry.value).exec();
      this.deps.onWritten(entry.key, entry.value, Number(res.header.revision));
    } catch (e) {
      if (isLeaseGone(e) && this.lease === lease) {
        this.lease = undefined; // revoked behind our back: the next write grants a new one
        lease.release();
      }
      throw e;
    }
  }

  private async withdraw(entry: Entry): Promise<void> {
    if (entry.closed) return;
    entry.closed = true;
    if (this.live.get(entry.key) !== entry) return; // replaced by a newer registration of the key
    this.live.delete(entry.key);
    if (this.live.size === 0) {
      await this.revoke();
      return;
    }
    await this.queue(entry.key, async () => {
      if (this.live.has(entry.key)) return; // re-registered meanwhile
      const res = await this.deps.client.delete().key(entry.key).exec();
      this.deps.onWritten(entry.key, undefined, Number(res.header.revision));
    }).catch((e: Error) => this.deps.onError(e)); // etcd unreachable: the key goes with the lease.
  }

  private async revoke(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    if (lease === undefined) return;
    try {
      await lease.revoke();
    } catch {
      lease.release(); // etcd unreachable: the lease expires on its own after the TTL.
    }
  }

  private scheduleReannounce(): void {
    if (this.closed || this.retry !== undefined) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      const entries = [...this.live.values()];
      Promise.all(entries.map((entry) => this.queue(entry.key, () => this.write(entry)))).catch((e: Error) => {
        this.deps.onError(e);
        this.scheduleReannounce();
      });
    }, this.deps.retryMs);
    this.retry.unref();
  }

  private queue(key: string, op: () => Promise<void>): Promise<void> {
    const run = (this.queues.get(key) ?? Promise.resolve()).then(op, op);
    const tail = run.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }
}
