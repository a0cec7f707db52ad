/**
 * `registerGrayRouting`: the explicit, idempotent call that installs the `graylane` resolver scheme
 * and load-balancing policy on grpc-js.
 * @packageDocumentation
 */
import * as defaultGrpc from '@grpc/grpc-js';
import { GrayConfigError } from '../core/errors.js';
import { defaultGrayPolicy, type GrayPolicy } from '../core/policy.js';
import { createBalancerClass } from './balancer.js';
import { assertRoutingSupport, type GrpcModule } from './grpc-compat.js';
import { GRAY_POLICY_NAME, GrayLbConfig } from './lb-config.js';
import { createResolverClass } from './resolver.js';
import { moduleEntry, processClientId, routingTable, type RoutingEntry } from './routing-table.js';
import type { SubsetConfig } from './subset.js';
import type { GrayRegistry } from './types.js';

/** Options of {@link registerGrayRouting}. */
export interface GrayRoutingOptions {
  /** Where instances and rules come from (`createFileRegistry`, `createEtcdRegistry`, `createStaticRegistry`). Required. */
  readonly registry: GrayRegistry;
  /**
   * Policy that reads each call's stage (stage key, aliases, allowlist, default stage). Use the same
   * policy as your interceptors. Default: the default policy (`x-release-stage`, default stage `stable`).
   */
  readonly policy?: GrayPolicy;
  /** URI scheme of targets routed through `registry`: `<scheme>:///<service>`. Default `'graylane'`. */
  readonly scheme?: string;
  /**
   * The `@grpc/grpc-js` module your clients are built with, when it is not the copy graylane
   * resolves (e.g. a bundled or nested copy). Default: `import('@grpc/grpc-js')` as seen by graylane.
   */
  readonly grpc?: GrpcModule;
  /** Least time between two answers to grpc-js re-resolution requests, in ms. Default `1000`. */
  readonly reresolveIntervalMs?: number;
  /**
   * Bounded connections. Default: none — each channel connects to every instance of its service.
   * With `{ size }`, a channel connects, per stage, to at most `size` instances: all of a stage's
   * instances when it has `size` or fewer (a small canary stays fully reachable), otherwise a
   * deterministic subset chosen by rendezvous hashing on `clientId`. A failed member is replaced
   * by the next-ranked instance while it is retried (at most `2 × size` connections per stage).
   */
  readonly subset?: GraySubsetOptions;
}

/** Option `subset` of {@link GrayRoutingOptions}. */
export interface GraySubsetOptions {
  /** Instances per stage each channel connects to, an integer from 1. Required. */
  readonly size: number;
  /**
   * What the subset is keyed on: clients with different ids get different (evenly spread) subsets;
   * the same id always gets the same one. Use a stable name (pod name, host name) to keep a
   * client's subset across restarts. Default: a random id, one per process.
   */
  readonly clientId?: string;
}

/** A registration made by {@link registerGrayRouting}. */
export interface GrayRouting {
  /** The URI scheme of routed targets (option `scheme`, default `'graylane'`). */
  readonly scheme: string;
  /** The registry routed calls are picked from. */
  readonly registry: GrayRegistry;
  /** The policy that reads each call's stage at pick time. */
  readonly policy: GrayPolicy;
  /** Bounded connections in effect (`size` and the `clientId` used), or `undefined` when every instance is connected (the default). */
  readonly subset: SubsetConfig | undefined;
  /** The target of a service: `target('shop.Price')` → `'graylane:///shop.Price'`. */
  target(service: string): string;
  /**
   * Removes the registration so the scheme can be registered again (e.g. with another registry).
   * Channels created before keep their last routing state but stop following the registry; new
   * channels fail with `UNAVAILABLE` until the scheme is registered again. Every listener graylane
   * took on the registry is removed at once and graylane keeps no reference to it (it can be
   * garbage-collected once you drop yours). Does not close the registry. Idempotent.
   */
  close(): void;
}

const SCHEME_PATTERN = /^[a-z][a-z0-9+.-]{0,31}$/;

function toHandle(entry: RoutingEntry, registry: GrayRegistry): GrayRouting {
  return {
    scheme: entry.scheme,
    registry,
    policy: entry.policy,
    subset: entry.subset,
    target: (service) => `${entry.scheme}:///${service}`,
    close() {
      if (entry.closed) return;
      // The entry stays in the table (channels created before keep reading its policy), but lets go
      // of the registry: every listener taken on it is removed now, and the reference is dropped.
      entry.closed = true;
      for (const stop of [...entry.subscriptions]) stop();
      entry.subscriptions.clear();
      entry.registry = undefined;
    },
  };
}

function subsetOf(option: GraySubsetOptions | undefined): SubsetConfig | undefined {
  if (option === undefined) return undefined;
  const size = (option as { size?: unknown } | null)?.size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
    throw new GrayConfigError(`graylane: registerGrayRouting: subset.size must be an integer >= 1 (instances per stage each channel connects to), got ${String(size)}.`);
  }
  const clientId = option.clientId ?? processClientId();
  if (typeof clientId !== 'string' || clientId === '' || clientId.length > 256) {
    throw new GrayConfigError('graylane: registerGrayRouting: subset.clientId must be a non-empty string of at most 256 characters (e.g. the pod name), or omitted for a random per-process id.');
  }
  return { size, clientId };
}

function sameSubset(a: SubsetConfig | undefined, b: SubsetConfig | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.size === b.size && a.clientId === b.clientId);
}

/**
 * Installs graylane routing on grpc-js: the resolver scheme (`graylane` by default) and the
 * `graylane` LB policy. A client for `graylane:///<service>` then routes every call by the stage in
 * its metadata (read at pick time, so keys added by `grayClientInterceptor` count).
 *
 * Idempotent: calling it again with the same registry and policy returns the same registration.
 * Nothing happens at import time.
 *
 * @throws GrayConfigError when grpc-js is older than 1.10, an option is invalid, or the scheme is
 *   already registered with a different registry or policy (close the first registration, or use
 *   another `scheme`).
 */
export function registerGrayRouting(options: GrayRoutingOptions): GrayRouting {
  if (typeof options !== 'object' || options === null) {
    throw new GrayConfigError('graylane: registerGrayRouting(options) needs an options object with a registry.');
  }
  const { registry } = options;
  if (typeof registry?.getService !== 'function' || typeof registry.watchService !== 'function') {
    throw new GrayConfigError('graylane: registerGrayRouting: `registry` is required (createFileRegistry, createEtcdRegistry or createStaticRegistry).');
  }
  const mod = options.grpc ?? defaultGrpc;
  assertRoutingSupport(mod);
  const scheme = options.scheme ?? GRAY_POLICY_NAME;
  if (!SCHEME_PATTERN.test(scheme) || scheme === 'dns' || scheme === 'unix' || scheme === 'ipv4' || scheme === 'ipv6') {
    throw new GrayConfigError(`graylane: scheme ${JSON.stringify(scheme)} is not a usable URI scheme; use lower-case letters, e.g. 'graylane'.`);
  }
  const interval = options.reresolveIntervalMs ?? 1000;
  if (!Number.isFinite(interval) || interval < 0) {
    throw new GrayConfigError(`graylane: reresolveIntervalMs must be a non-negative number of milliseconds, got ${String(options.reresolveIntervalMs)}.`);
  }
  const policy = options.policy ?? defaultGrayPolicy();
  const subset = subsetOf(options.subset);
  const perModule = moduleEntry(mod);
  const existing = perModule.schemes.get(scheme);
  if (existing !== undefined && !existing.closed) {
    if (existing.registry === registry && existing.policy === policy && sameSubset(existing.subset, subset)) return toHandle(existing, registry);
    throw new GrayConfigError(
      `graylane: scheme '${scheme}' is already routed with a different registry, policy or subset; call close() on the first registration, or pass another \`scheme\`.`,
    );
  }
  const table = routingTable();
  const entry: RoutingEntry = { id: table.nextId++, scheme, registry, policy, reresolveIntervalMs: interval, subset, closed: false, subscriptions: new Set() };
  table.byId.set(entry.id, entry);
  const firstForScheme = existing === undefined;
  perModule.schemes.set(scheme, entry);
  if (!perModule.balancerInstalled) {
    mod.experimental.registerLoadBalancerType(GRAY_POLICY_NAME, createBalancerClass(mod) as never, GrayLbConfig as never);
    perModule.balancerInstalled = true;
  }
  if (firstForScheme) {
    mod.experimental.registerResolver(scheme, createResolverClass(mod, () => perModule.schemes.get(scheme), scheme));
  }
  assertGrayRouting(mod);
  return toHandle(entry, registry);
}

/**
 * Throws `GrayConfigError` unless the `graylane` LB policy is registered on `grpc` (default: the
 * grpc-js graylane resolves). Use it at startup when clients may be built with another copy of
 * grpc-js, which would otherwise fall back to `pick_first` silently.
 */
export function assertGrayRouting(grpc: GrpcModule = defaultGrpc): void {
  assertRoutingSupport(grpc);
  if (!grpc.experimental.isLoadBalancerNameRegistered(GRAY_POLICY_NAME)) {
    throw new GrayConfigError(
      "graylane: the 'graylane' LB policy is not registered on this @grpc/grpc-js copy; call registerGrayRouting({ registry, grpc }) with the grpc-js module your clients use, and keep a single copy of @grpc/grpc-js installed.",
    );
  }
}
