/**
 * The whole graylane stack for grpc-js in one interceptor per side: the gray context always, plus
 * the per-stage metrics, the hop trace and the rollback guard you ask for — in the right order,
 * fused into a single grpc-js layer.
 * @packageDocumentation
 */
import type { Interceptor, ServerInterceptor } from '@grpc/grpc-js';
import { clientInterceptorOf, type ClientJob } from '../../grpc-js/client-call.js';
import { contextClientJob, type GrayClientInterceptorOptions } from '../../grpc-js/client-interceptor.js';
import { serverInterceptorOf, type ServerJob } from '../../grpc-js/server-call.js';
import { assertServerInterceptorSupport, contextServerJob, type GrayServerInterceptorOptions } from '../../grpc-js/server-interceptor.js';
import { clientStackFeeds, type GrayClientStackFeeds, type GrayServerStackFeeds, type GrayStackGuard } from '../stack-options.js';
import { clientMetricsJob } from './client-metrics.js';
import { clientHopTraceJob } from './hop-trace-client.js';
import { serverHopTraceJob, type GrayHopTraceServerOptions } from './hop-trace-server.js';
import { clientGuardJob, type RollbackGuardClientInterceptorOptions } from './rollback-guard.js';
import { serverMetricsJob } from './server-metrics.js';

/**
 * Options of {@link grayGrpcServerStack}: the context's — every option of `grayServerInterceptor`
 * (a `policy` or policy options, `echoStage`, `resolve`) — plus the feeds to run with it: `metrics`
 * (as `grayServerMetricsInterceptor`) and `hopTrace` (as `grayHopTraceServerInterceptor`).
 */
export interface GrayGrpcServerStackOptions extends GrayServerInterceptorOptions, GrayServerStackFeeds<GrayHopTraceServerOptions> {}

/**
 * Creates ONE grpc-js server interceptor doing the gray context and the feeds you ask for, for
 * `new Server({ interceptors: [grayGrpcServerStack({ metrics: { registry }, hopTrace: { service: 'orders' } })] })`.
 *
 * It behaves as `grayServerInterceptor`, `grayServerMetricsInterceptor` and
 * `grayHopTraceServerInterceptor` listed in that (the documented) order — the feeds always record
 * the stage the context decided — but runs them in one listener per call: fewer layers, less
 * allocation. The feeds' `policy` defaults to the context's, so a custom default stage or stage
 * allowlist labels the metrics too. List other interceptors after it to see the context.
 *
 * @param options - the context's options (default: the default policy, no echo, no `resolve`) and
 *   the feeds (default: none — the context alone, as `grayServerInterceptor`).
 * @throws GrayConfigError for bad policy options, a feed's bad options (see each feed), or when
 *   grpc-js is older than 1.10.0.
 */
export function grayGrpcServerStack(options: GrayGrpcServerStackOptions = {}): ServerInterceptor {
  assertServerInterceptorSupport();
  const { metrics, hopTrace, ...contextOptions } = options;
  const context = contextServerJob(contextOptions);
  const jobs: ServerJob[] = [context];
  if (metrics !== undefined) jobs.push(serverMetricsJob({ ...metrics, policy: metrics?.policy ?? context.policy }));
  if (hopTrace !== undefined) jobs.push(serverHopTraceJob({ ...hopTrace, policy: hopTrace?.policy ?? context.policy }));
  return serverInterceptorOf(jobs);
}

/** The rollback guard of a client stack with the options of `rollbackGuardClientInterceptor`. */
export type GrayStackGuardOptions = GrayStackGuard<RollbackGuardClientInterceptorOptions>;

/**
 * Options of {@link grayGrpcClientStack}: the context's (`overwrite`), the policy the calls' stage
 * is read with, and the feeds to run with it — `metrics` (as `grayClientMetricsInterceptor`),
 * `hopTrace` (as `grayHopTraceClientInterceptor`) and `guard` (as `rollbackGuardClientInterceptor`).
 */
export interface GrayGrpcClientStackOptions extends GrayClientInterceptorOptions, GrayClientStackFeeds<RollbackGuardClientInterceptorOptions> {}

/**
 * Creates ONE grpc-js client interceptor doing the gray context and the feeds you ask for, for
 * `new Client(address, credentials, { interceptors: [grayGrpcClientStack({ metrics: { registry }, hopTrace: true, guard })] })`.
 *
 * It behaves as `grayClientInterceptor`, `grayClientMetricsInterceptor`,
 * `grayHopTraceClientInterceptor` and `rollbackGuardClientInterceptor` listed in that order, in one
 * grpc-js intercepting call per call instead of four. Per-call `interceptors` replace the client's
 * (grpc-js behaviour): pass it there too.
 *
 * @param options - `overwrite` (default `false`: keys the caller set win), `policy` (default: the
 *   default policy) and the feeds (default: none — the context alone, as `grayClientInterceptor`).
 * @throws GrayConfigError for a feed's bad options (see each feed) or a `guard` that is not a
 *   `RollbackGuard`.
 */
export function grayGrpcClientStack(options: GrayGrpcClientStackOptions = {}): Interceptor {
  const feeds = clientStackFeeds(options);
  const jobs: ClientJob[] = [contextClientJob(options)];
  if (feeds.metrics !== undefined) jobs.push(clientMetricsJob(feeds.metrics));
  if (feeds.hopTrace !== undefined) jobs.push(clientHopTraceJob(feeds.hopTrace));
  if (feeds.guard !== undefined) jobs.push(clientGuardJob(feeds.guard.guard, feeds.guard.options));
  return clientInterceptorOf(jobs);
}
