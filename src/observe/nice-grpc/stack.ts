/**
 * The whole graylane stack for nice-grpc in one middleware per side: the gray context always, plus
 * the per-stage metrics, the hop trace and the rollback guard you ask for, composed in the right
 * order.
 * @packageDocumentation
 */
import { composeClientMiddleware, composeServerMiddleware, type ClientMiddleware, type ServerMiddleware } from 'nice-grpc-common';
import { resolvePolicy, type GrayPolicy } from '../../core/policy.js';
import { grayClientMiddleware, type GrayClientMiddlewareOptions } from '../../nice-grpc/client-middleware.js';
import { grayServerMiddleware, type GrayCallContextExt, type GrayServerMiddlewareOptions } from '../../nice-grpc/server-middleware.js';
import type { GrayGrpcMetricsOptions } from '../grpc-metrics.js';
import { splitGuardOption, type RollbackGuard } from '../rollback-guard.js';
import { grayHopTraceClientMiddleware, grayHopTraceServerMiddleware, type GrayHopTraceClientMiddlewareOptions, type GrayHopTraceServerMiddlewareOptions } from './hop-trace.js';
import { grayClientMetricsMiddleware, grayServerMetricsMiddleware } from './metrics.js';
import { rollbackGuardClientMiddleware, type RollbackGuardClientMiddlewareOptions } from './rollback-guard.js';

/**
 * Options of {@link grayNiceServerStack}: the context's — every option of `grayServerMiddleware`
 * (a `policy` or policy options, `echoStage`, `resolve`) — plus the feeds to run after it.
 */
export interface GrayNiceServerStackOptions extends GrayServerMiddlewareOptions {
  /**
   * Per-stage metrics (`grpc_server_handled_total`, `grpc_server_handling_seconds`): at least
   * `{ registry }`, a prom-client `Registry`; the other options as `grayServerMetricsMiddleware`,
   * except that `policy` defaults to the context's policy. Default: no metrics.
   */
  readonly metrics?: GrayGrpcMetricsOptions;
  /**
   * The hop trace: at least `{ service }`; `instance` (default `<hostname>:<pid>`) and `accept`
   * (default: every trace request honoured) as `grayHopTraceServerMiddleware`. Default: no hop trace.
   */
  readonly hopTrace?: GrayHopTraceServerMiddlewareOptions;
}

/**
 * Creates ONE nice-grpc server middleware doing the gray context and the feeds you ask for:
 * `createServer().use(grayNiceServerStack({ metrics: { registry }, hopTrace: { service: 'orders' } }))`.
 *
 * It is `grayServerMiddleware`, `grayServerMetricsMiddleware` and `grayHopTraceServerMiddleware`
 * composed in that (the documented) order, so the feeds always record the stage the context
 * decided. The feeds' `policy` defaults to the context's. `use` it first: the middleware after it
 * and the handler see the context (`context.gray` included).
 *
 * @param options - the context's options (default: the default policy, no echo, no `resolve`) and
 *   the feeds (default: none — the context alone, as `grayServerMiddleware`).
 * @throws GrayConfigError for bad policy options or a feed's bad options (see each feed).
 */
export function grayNiceServerStack(options: GrayNiceServerStackOptions = {}): ServerMiddleware<GrayCallContextExt> {
  const { metrics, hopTrace, ...contextOptions } = options;
  const policy = resolvePolicy(contextOptions);
  let stack: ServerMiddleware<GrayCallContextExt> = grayServerMiddleware({ ...contextOptions, policy });
  if (metrics !== undefined) stack = composeServerMiddleware(stack, grayServerMetricsMiddleware({ ...metrics, policy: metrics?.policy ?? policy }));
  if (hopTrace !== undefined) stack = composeServerMiddleware(stack, grayHopTraceServerMiddleware(hopTrace));
  return stack;
}

/** The rollback guard of a nice-grpc client stack with the options of `rollbackGuardClientMiddleware`. */
export interface GrayNiceStackGuardOptions extends RollbackGuardClientMiddlewareOptions {
  /** The guard to feed (`createRollbackGuard(...)`). Required. */
  readonly guard: RollbackGuard;
}

/**
 * Options of {@link grayNiceClientStack}: the context's (`overwrite`), the policy the calls' stage
 * is read with, and the feeds to run with it.
 */
export interface GrayNiceClientStackOptions extends GrayClientMiddlewareOptions {
  /**
   * Policy the stage of an outgoing call is read with (stage key, then aliases) by the metrics and
   * the guard. A feed's own `policy` wins. Default: the default policy.
   */
  readonly policy?: GrayPolicy;
  /**
   * Per-stage metrics (`grpc_client_handled_total`, `grpc_client_handling_seconds`): at least
   * `{ registry }`; the other options as `grayClientMetricsMiddleware`. Default: no metrics.
   */
  readonly metrics?: GrayGrpcMetricsOptions;
  /**
   * The hop trace: `true` collects the trailers of calls made inside a traced request; `{ trace:
   * true }` also asks for a trace on every call. Default: `false`, no hop trace.
   */
  readonly hopTrace?: boolean | GrayHopTraceClientMiddlewareOptions;
  /**
   * The rollback guard to feed with the calls of its stage: the guard, or `{ guard, isFailure?,
   * policy? }` (as `rollbackGuardClientMiddleware`; `isFailure` default: every code but `OK` and
   * `CANCELLED`). Default: none.
   */
  readonly guard?: RollbackGuard | GrayNiceStackGuardOptions;
}

/**
 * Creates ONE nice-grpc client middleware doing the gray context and the feeds you ask for:
 * `createClientFactory().use(grayNiceClientStack({ metrics: { registry }, hopTrace: true, guard }))`.
 *
 * It is `rollbackGuardClientMiddleware`, `grayHopTraceClientMiddleware`,
 * `grayClientMetricsMiddleware` and `grayClientMiddleware` `use`d in that order (the context
 * outermost: nice-grpc runs the last-`use`d client middleware first). `use` it last on the factory,
 * so it reads the caller's context when the client method is called.
 *
 * @param options - `overwrite` (default `false`: keys the caller set win), `policy` (default: the
 *   default policy) and the feeds (default: none — the context alone, as `grayClientMiddleware`).
 * @throws GrayConfigError for a feed's bad options (see each feed) or a `guard` that is not a
 *   `RollbackGuard`.
 */
export function grayNiceClientStack(options: GrayNiceClientStackOptions = {}): ClientMiddleware {
  const { metrics, hopTrace, guard, policy } = options;
  const inner: ClientMiddleware[] = [];
  if (guard !== undefined) {
    const feed = splitGuardOption<RollbackGuardClientMiddlewareOptions>(guard);
    inner.push(rollbackGuardClientMiddleware(feed.guard, { ...feed.options, policy: feed.options.policy ?? policy }));
  }
  if (hopTrace !== undefined && hopTrace !== false) inner.push(grayHopTraceClientMiddleware(hopTrace === true ? {} : hopTrace));
  if (metrics !== undefined) inner.push(grayClientMetricsMiddleware({ ...metrics, policy: metrics?.policy ?? policy }));
  // composeClientMiddleware(a, b) runs b first, as `.use(a).use(b)` does.
  return [...inner, grayClientMiddleware(options)].reduce((stack, next) => composeClientMiddleware(stack, next));
}
