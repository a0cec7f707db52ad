/**
 * The whole graylane stack for nice-grpc in one middleware per side: the gray context always, plus
 * the per-stage metrics, the hop trace and the rollback guard you ask for, composed in the right
 * order.
 * @packageDocumentation
 */
import { composeClientMiddleware, composeServerMiddleware, type ClientMiddleware, type ServerMiddleware } from 'nice-grpc-common';
import { resolvePolicy } from '../../core/policy.js';
import { grayClientMiddleware, type GrayClientMiddlewareOptions } from '../../nice-grpc/client-middleware.js';
import { grayServerMiddleware, type GrayCallContextExt, type GrayServerMiddlewareOptions } from '../../nice-grpc/server-middleware.js';
import { clientStackFeeds, type GrayClientStackFeeds, type GrayServerStackFeeds, type GrayStackGuard } from '../stack-options.js';
import { grayHopTraceClientMiddleware, grayHopTraceServerMiddleware, type GrayHopTraceServerMiddlewareOptions } from './hop-trace.js';
import { grayClientMetricsMiddleware, grayServerMetricsMiddleware } from './metrics.js';
import { rollbackGuardClientMiddleware, type RollbackGuardClientMiddlewareOptions } from './rollback-guard.js';

/**
 * Options of {@link grayNiceServerStack}: the context's — every option of `grayServerMiddleware`
 * (a `policy` or policy options, `echoStage`, `resolve`) — plus the feeds to run after it: `metrics`
 * (as `grayServerMetricsMiddleware`) and `hopTrace` (as `grayHopTraceServerMiddleware`).
 */
export interface GrayNiceServerStackOptions extends GrayServerMiddlewareOptions, GrayServerStackFeeds<GrayHopTraceServerMiddlewareOptions> {}

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
export type GrayNiceStackGuardOptions = GrayStackGuard<RollbackGuardClientMiddlewareOptions>;

/**
 * Options of {@link grayNiceClientStack}: the context's (`overwrite`), the policy the calls' stage
 * is read with, and the feeds to run with it — `metrics` (as `grayClientMetricsMiddleware`),
 * `hopTrace` (as `grayHopTraceClientMiddleware`) and `guard` (as `rollbackGuardClientMiddleware`).
 */
export interface GrayNiceClientStackOptions extends GrayClientMiddlewareOptions, GrayClientStackFeeds<RollbackGuardClientMiddlewareOptions> {}

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
  const feeds = clientStackFeeds(options);
  const inner: ClientMiddleware[] = [];
  if (feeds.guard !== undefined) inner.push(rollbackGuardClientMiddleware(feeds.guard.guard, feeds.guard.options));
  if (feeds.hopTrace !== undefined) inner.push(grayHopTraceClientMiddleware(feeds.hopTrace));
  if (feeds.metrics !== undefined) inner.push(grayClientMetricsMiddleware(feeds.metrics));
  // composeClientMiddleware(a, b) runs b first, as `.use(a).use(b)` does.
  return [...inner, grayClientMiddleware(options)].reduce((stack, next) => composeClientMiddleware(stack, next));
}
