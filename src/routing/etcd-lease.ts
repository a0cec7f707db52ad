/**
 * Announcing an instance in etcd: a key under a lease kept alive by etcd3; when the lease is lost
 * (etcd outage longer than the TTL, a revoked lease) the key is written again under a new lease.
 * Loaded only by `createEtcdRegistry`.
 * @packageDocumentation
 */
import type { Etcd3, Lease } from 'etcd3';
import type { GrayInstance } from './types.js';

/** A live announcement made by `register`. */
export interface EtcdRegistration {
  /** The etcd key of the instance. */
  readonly key: string;
  /** Revokes the lease (the instance disappears from every router) and stops re-announcing. Idempotent. */
  close(): Promise<void>;
}

/** What the registry passes in. */
export interface LeaseDeps {
  readonly client: Etcd3;
  readonly ttlSeconds: number;
  readonly retryMs: number;
  readonly onWritten: (key: string, value: string, revision: number) => void;
  readonly onError: (error: Error) => void;
}

/** Writes `inst` under `key` with a kept-alive lease; resolves once the first write succeeded. */
export async function announce(deps: LeaseDeps, key: string, inst: GrayInstance): Promise<EtcdRegistration> {
  const value = JSON.stringify({ address: inst.address, weight: inst.weight ?? 1, ...(inst.meta ? { meta: inst.meta } : {}) });
  let lease: Lease | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const write = async (): Promise<void> => {
    const next = deps.client.lease(deps.ttlSeconds, { autoKeepAlive: true });
    next.on('lost', (err) => {
      if (closed || lease !== next) return;
      deps.onError(new Error(`graylane: etcd lease of ${key} lost (${err.message}); re-announcing`));
      scheduleRewrite();
    });
    lease = next;
    try {
      const res = await next.put(key).value(value).exec();
      deps.onWritten(key, value, Number(res.header.revision));
    } catch (e) {
      next.release();
      throw e;
    }
  };

  const scheduleRewrite = (): void => {
    if (closed || retry !== undefined) return;
    lease?.release();
    retry = setTimeout(() => {
      retry = undefined;
      write().catch((e: Error) => {
        deps.onError(e);
        scheduleRewrite();
      });
    }, deps.retryMs);
    retry.unref();
  };

  // The first write is retried briefly: right after an outage etcd3's circuit breaker may still be open.
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
      await new Promise((r) => setTimeout(r, deps.retryMs));
    }
  }
  return {
    key,
    async close() {
      if (closed) return;
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      const current = lease;
      if (current === undefined) return;
      try {
        await current.revoke();
      } catch {
        current.release(); // etcd unreachable: the lease expires on its own after the TTL.
      }
    },
  };
}
