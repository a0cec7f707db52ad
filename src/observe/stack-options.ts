/**
 * The feeds a composer (`grayGrpcServerStack` / `grayGrpcClientStack`, `grayNiceServerStack` /
 * `grayNiceClientStack`) takes beside the context, written once for both gRPC adapters, and their
 * resolution: each feed's options with the stack's policy filled in. Imports no framework.
 * @packageDocumentation
 */
import type { GrayPolicy } from '../core/policy.js';
import type { GrayGrpcMetricsOptions } from './grpc-metrics.js';
import { isRollbackGuard, type RollbackGuard } from './rollback-guard.js';

/** The feeds of a server stack, beside the context's options. `H`: the adapter's hop-trace server options. */
export interface GrayServerStackFeeds<H> {
  /**
   * Per-stage metrics (`grpc_server_handled_total`, `grpc_server_handling_seconds`): at least
   * `{ registry }`, a prom-client `Registry`; the other options as the single metrics feed's,
   * except that `policy` defaults to the context's policy. Default: no metrics.
   */
  readonly metrics?: GrayGrpcMetricsOptions;
  /**
   * The hop trace: at least `{ service }`; `instance` (default `<hostname>:<pid>`) and `accept`
   * (default: every trace request honoured — set it on servers facing untrusted clients) as the
   * single hop-trace feed's. Default: no hop trace.
   */
  readonly hopTrace?: H;
}

/** A client stack's guard with its feed's options `O` (`isFailure`, `policy`). */
export type GrayStackGuard<O> = O & {
  /** The guard to feed (`createRollbackGuard(...)`). Required. */
  readonly guard: RollbackGuard;
};

/** The feeds of a client stack, beside the context's `overwrite`. `O`: the adapter's guard-feed options. */
export interface GrayClientStackFeeds<O extends object> {
  /**
   * Policy the stage of an outgoing call is read with (stage key, then aliases) by the metrics and
   * the guard — pass the one given to `registerGrayRouting`, so a call is counted as the stage it
   * is routed by. A feed's own `policy` wins. Default: the default policy.
   */
  readonly policy?: GrayPolicy;
  /**
   * Per-stage metrics (`grpc_client_handled_total`, `grpc_client_handling_seconds`): at least
   * `{ registry }`; the other options as the single metrics feed's. Default: no metrics.
   */
  readonly metrics?: GrayGrpcMetricsOptions;
  /**
   * The hop trace: `true` collects the trailers of calls made inside a traced request (one WeakMap
   * lookup per call otherwise); `{ trace: true }` also asks for a trace on every call. Default:
   * `false`, no hop trace — downstream hops of traced requests are then missing from the trace.
   */
  readonly hopTrace?: boolean | { readonly trace?: boolean };
  /**
   * The rollback guard to feed with the calls of its stage: the guard, or `{ guard, isFailure?,
   * policy? }` (as the single guard feed; `isFailure` default: every code but `OK` and
   * `CANCELLED`). Default: none.
   */
  readonly guard?: RollbackGuard | GrayStackGuard<O>;
}

/**
 * A composer's `guard` option — the guard itself, or `{ guard, ...feedOptions }` — split into the
 * guard and its feed's options. Anything else comes back as the "guard", for the feed to refuse
 * with a `GrayConfigError`. Internal.
 */
export function splitGuardOption<O extends object>(value: RollbackGuard | (O & { readonly guard: RollbackGuard })): { readonly guard: RollbackGuard; readonly options: Partial<O> } {
  if (isRollbackGuard(value) || typeof value !== 'object' || value === null) return { guard: value as RollbackGuard, options: {} };
  const { guard, ...options } = value;
  return { guard, options: options as unknown as Partial<O> };
}

/** A client stack's feeds, resolved: present only when asked for, policies filled in. Internal. */
export interface ResolvedClientFeeds<O> {
  /** Metrics options, `policy` filled in. */
  readonly metrics?: GrayGrpcMetricsOptions;
  /** Hop-trace options. */
  readonly hopTrace?: { readonly trace?: boolean };
  /** The guard and its feed's options, `policy` filled in. */
  readonly guard?: { readonly guard: RollbackGuard; readonly options: O };
}

/** Resolves a client stack's feeds (the feeds themselves validate, when built). Internal. */
export function clientStackFeeds<O extends { readonly policy?: GrayPolicy }>(options: GrayClientStackFeeds<O>): ResolvedClientFeeds<O> {
  const { metrics, hopTrace, guard, policy } = options;
  const feed = guard === undefined ? undefined : splitGuardOption<O>(guard);
  return {
    metrics: metrics === undefined ? undefined : { ...metrics, policy: metrics?.policy ?? policy },
    hopTrace: hopTrace === undefined || hopTrace === false ? undefined : hopTrace === true ? {} : hopTrace,
    guard: feed === undefined ? undefined : { guard: feed.guard, options: { ...feed.options, policy: feed.options.policy ?? policy } as O },
  };
}
