/**
 * `createEtcdRegistry`: instances and rules in etcd (leases + prefix watch + local cache). The
 * `etcd3` package is loaded lazily here, so importing `graylane/routing` never loads it.
 * @packageDocumentation
 */
import type { Etcd3 } from 'etcd3';
import { GrayConfigError } from '../core/errors.js';
import { SharedLease, type EtcdRegistration } from './etcd-lease.js';
import { EtcdSync, instanceKey, rolloutKey, rulesKey } from './etcd-sync.js';
import { casRollout, campaignEtcdLeader } from './etcd-rollouts.js';
import { RegistryStore } from './registry-store.js';
import { requireRolloutName } from './rollout-record.js';
import { RolloutRecords, rolloutReaders } from './rollout-records.js';
import type { GrayRolloutRegistry } from './rollout-registry.js';
import type { GrayInstance, GrayRegistryHooks } from './types.js';
import { writeStageDisabled } from './etcd-rules.js';
import { normalizeInstance, requireRegistryStage, requireService } from './validate.js';

export type { EtcdRegistration } from './etcd-lease.js';

/** Options of {@link createEtcdRegistry}. */
export interface EtcdRegistryOptions extends GrayRegistryHooks {
  /** etcd client URLs, e.g. `'http://127.0.0.1:2379'` or a list. Required. */
  readonly endpoints: string | readonly string[];
  /**
   * Key prefix: instances under `<prefix>/services/<service>/<stage>/<id>`, rules under
   * `<prefix>/rules/<service>`, rollout records under `<prefix>/rollouts/<name>` and rollout
   * elections under `<prefix>/elections/`. Default `'/graylane'`.
   */
  readonly prefix?: string;
  /**
   * TTL, in seconds, of the one lease all instances registered through this registry share (an
   * instance whose process dies disappears after it). Default `10`.
   */
  readonly leaseTtlSeconds?: number;
  /** Deadline of each etcd request, in ms. Default `5000`. */
  readonly callTimeoutMs?: number;
  /** Longest wait between two reconnection attempts of the watch (and between re-announcements), in ms. Default `2000`. */
  readonly reconnectMaxDelayMs?: number;
  /** Extra options for the `Etcd3` client (e.g. `auth`, `credentials`), merged over graylane's. Default: none. */
  readonly clientOptions?: Readonly<Record<string, unknown>>;
}

/** A registry backed by etcd; it also stores rollout records (`<prefix>/rollouts/<name>`). */
export interface EtcdGrayRegistry extends GrayRolloutRegistry {
  /** The key prefix in use (option `prefix`, default `'/graylane'`). */
  readonly prefix: string;
  /** Resolves once the first full read and the watch are in place; rejects if that first attempt fails (retries continue in the background). */
  ready(): Promise<void>;
  /**
   * Announces an instance until `close()`. Every registration of this registry shares one lease
   * (one keep-alive stream, granted on the first registration, revoked with the last one and by the
   * registry's `close()`); after a lost lease every live registration is re-announced under a new
   * one. `id` defaults to the instance's address; registering an id again replaces its announcement.
   * Rejects with `GrayConfigError` for a malformed instance.
   */
  register(instance: GrayInstance, options?: { readonly id?: string }): Promise<EtcdRegistration>;
}

function requireInt(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new GrayConfigError(`graylane: createEtcdRegistry: ${name} must be an integer >= ${min}, got ${String(value)}.`);
  return v;
}

/** A cockatiel-compatible backoff for etcd3's watch reconnection: 100 ms doubling up to `max`. */
function watchBackoff(max: number, delay = 100): { duration: number; next(): ReturnType<typeof watchBackoff> } {
  return { duration: Math.min(delay, max), next: () => watchBackoff(max, delay * 2) };
}

/**
 * Creates an etcd-backed registry. Returns at once; routing serves from the local cache, filled by
 * a full read and kept current by a prefix watch (no etcd request per call). While etcd is
 * unreachable the cache keeps serving, `status` is `'unreachable'` and `onError` is called; on
 * reconnection everything is re-read.
 *
 * @throws GrayConfigError for invalid options. `ready()` rejects with `GrayConfigError` when the
 *   optional peer `etcd3` is not installed.
 */
export function createEtcdRegistry(options: EtcdRegistryOptions): EtcdGrayRegistry {
  const hosts = typeof options?.endpoints === 'string' ? [options.endpoints] : [...(options?.endpoints ?? [])];
  if (hosts.length === 0 || !hosts.every((h) => typeof h === 'string' && /^https?:\/\/./.test(h))) {
    throw new GrayConfigError("graylane: createEtcdRegistry: `endpoints` must be etcd client URLs, e.g. 'http://127.0.0.1:2379'.");
  }
  const prefix = (options.prefix ?? '/graylane').replace(/\/+$/, '');
  if (!/^\/[A-Za-z0-9_.\-/]*$/.test(prefix) || prefix === '') {
    throw new GrayConfigError(`graylane: createEtcdRegistry: prefix ${JSON.stringify(options.prefix)} must start with '/' and use letters, digits, '_', '.', '-', '/'.`);
  }
  const ttl = requireInt('leaseTtlSeconds', options.leaseTtlSeconds, 10, 1);
  const callTimeoutMs = requireInt('callTimeoutMs', options.callTimeoutMs, 5000, 1);
  const maxDelay = requireInt('reconnectMaxDelayMs', options.reconnectMaxDelayMs, 2000, 1);
  const store = new RegistryStore(options);
  const rollouts = new RolloutRecords((e) => store.reportError(e));
  store.setStatus('connecting');
  let closed = false;
  let sync: EtcdSync | undefined;

  const clientReady = (async (): Promise<Etcd3> => {
    let mod: typeof import('etcd3');
    try {
      mod = await import('etcd3');
    } catch (e) {
      throw new GrayConfigError('graylane: createEtcdRegistry needs the optional peer dependency etcd3; install it with `npm install etcd3`.', { cause: e });
    }
    return new mod.Etcd3({
      hosts,
      dialTimeout: callTimeoutMs,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
      faultHandling: { watchBackoff: watchBackoff(maxDelay) as never },
      // Bound grpc-js's own reconnect backoff (default up to 120 s) so a restarted etcd is found quickly.
      grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': maxDelay },
      ...options.clientOptions,
    });
  })();

  const connect = async (): Promise<void> => {
    const client = await clientReady;
    const attempt = new EtcdSync(client, prefix, store, rollouts);
    try {
      await attempt.start();
    } catch (e) {
      await attempt.close();
      throw e;
    }
    if (closed) return void attempt.close();
    sync = attempt;
  };
  const retryConnect = (): void => {
    if (closed) return;
    setTimeout(() => connect().catch((e: Error) => { store.setStatus('unreachable'); store.reportError(e); retryConnect(); }), maxDelay).unref();
  };
  const first = connect();
  first.catch((e: Error) => {
    store.setStatus('unreachable');
    store.reportError(e);
    if (!(e instanceof GrayConfigError)) retryConnect();
  });

  const onWritten = (key: string, value: string | undefined, revision: number): void => sync?.applyLocal(key, value, revision);
  let leases: SharedLease | undefined;
  const sharedLease = async (): Promise<SharedLease> => {
    const client = await clientReady;
    return (leases ??= new SharedLease({ client, ttlSeconds: ttl, retryMs: maxDelay, onWritten, onError: (e) => store.reportError(e) }));
  };

  return {
    prefix,
    get status() {
      return store.status;
    },
    getService: (service) => store.getService(service),
    watchService: (service, listener) => store.watchService(service, listener),
    listServices: () => store.serviceNames(),
    ready: () => first,
    async register(instance, opts) {
      const inst = normalizeInstance(instance, 'register(instance)');
      const id = opts?.id ?? inst.address;
      if (id === '' || id.includes('/')) throw new GrayConfigError(`graylane: register: id ${JSON.stringify(id)} must be non-empty and contain no '/'.`);
      const value = JSON.stringify({ address: inst.address, weight: inst.weight ?? 1, ...(inst.meta ? { meta: inst.meta } : {}) });
      const shared = await sharedLease();
      if (closed) throw new Error('graylane: register: the etcd registry is closed.');
      return shared.announce(instanceKey(prefix, inst, id), value);
    },
    async setStageDisabled(service, stage, disabled) {
      requireService(service, 'setStageDisabled');
      requireRegistryStage(stage, 'setStageDisabled');
      const client = await clientReady;
      const { key, value, revision } = await writeStageDisabled(client, rulesKey(prefix, service), stage, disabled, (e) => store.reportError(e));
      sync?.applyLocal(key, value, revision);
    },
    ...rolloutReaders(rollouts),
    async updateRollout(name, update) {
      requireRolloutName(name, 'updateRollout');
      const client = await clientReady;
      const key = rolloutKey(prefix, name);
      const written = await casRollout(client, key, name, rollouts, update);
      if (written !== undefined) {
        if (sync !== undefined) sync.applyLocal(key, written.value, written.revision);
        else rollouts.apply(name, JSON.parse(written.value), `etcd key ${JSON.stringify(key)}`);
      }
      return rollouts.get(name);
    },
    campaignRollout(name, handlers, opts) {
      requireRolloutName(name, 'campaignRollout');
      const campaignTtl = opts?.ttlSeconds ?? ttl;
      if (!Number.isInteger(campaignTtl) || campaignTtl < 1) throw new GrayConfigError('graylane: campaignRollout: ttlSeconds must be an integer >= 1 (etcd leases count whole seconds).');
      let inner: ReturnType<typeof campaignEtcdLeader> | undefined;
      let resigned = false;
      void clientReady.then((client) => {
        if (!resigned && !closed) inner = campaignEtcdLeader(client, prefix, name, campaignTtl, maxDelay, handlers, (e) => store.reportError(e));
      }, (e: Error) => store.reportError(e));
      return {
        get leader() {
          return inner?.leader ?? false;
        },
        async resign() {
          resigned = true;
          await inner?.resign();
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await leases?.close();
      await sync?.close();
      await clientReady.then((c) => c.close(), () => undefined);
      store.setStatus('closed');
    },
  };
}
