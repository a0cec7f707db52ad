/**
 * Connect-style HTTP middleware recording `http_requests_total` and `http_request_duration_seconds`
 * per method, status code and release stage.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { decidedContext } from '../../core/call-stage.js';
import { GrayConfigError } from '../../core/errors.js';
import type { GrayHttpMiddleware } from '../../http/middleware.js';
import { defaultGrayPolicy, type GrayPolicy } from '../../core/policy.js';
import { createStageLabeler } from '../stage-label.js';
import { ChildCache, ensureCounter, ensureHistogram, requireBuckets, requireRegistry, resolvePromClient, type PromClientModule } from '../prom-metrics.js';

/** Options of {@link grayHttpMetricsMiddleware}. */
export interface GrayHttpMetricsOptions {
  /** The prom-client `Registry` to register the metrics in. Required. */
  readonly registry: Registry;
  /** Stages that get their own `release_stage` label; others are labelled `other`. Default: the policy's `stages`, else `['stable', 'canary']`. */
  readonly stages?: readonly string[];
  /**
   * Policy naming the default stage (the label of requests without the edge's decision; headers are
   * never read) and, through its `stages`, the default label set. Default: the default policy.
   */
  readonly policy?: GrayPolicy;
  /** Duration histogram buckets, in seconds. Default `[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]`. */
  readonly buckets?: readonly number[];
  /**
   * Route label of a request, e.g. `(req) => req.route?.path`. Must return values from a small fixed
   * set (never the raw URL); `undefined` is labelled `''`. Default: none (no `route` label at all).
   */
  readonly route?: (req: IncomingMessage) => string | undefined;
  /** The prom-client module to build metrics with. Default: `prom-client` beside graylane, loaded on first use. */
  readonly promClient?: PromClientModule;
}


const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const STATE = Symbol('graylane.http-metrics');

interface RequestState {
  readonly t0: number;
  readonly method: string;
  readonly stage: string;
  readonly req: IncomingMessage;
  readonly record: (state: RequestState, status: number) => void;
}

type Tracked = ServerResponse & { [STATE]?: RequestState };

function onFinish(this: Tracked): void {
  const state = this[STATE];
  if (state === undefined) return;
  this[STATE] = undefined;
  state.record(state, this.statusCode);
}

/**
 * Creates a middleware that times each request and, when the response finishes (or the connection
 * closes first), counts it with labels `method`, `code`, `release_stage` (and `route` with the
 * `route` option). The stage is the one the graylane HTTP edge decided: mount this **after**
 * `grayHttpMiddleware()`; before it (or without it) every request is labelled with the default
 * stage — a client's `x-release-stage` is never read. Unknown methods are labelled `OTHER`,
 * unknown stages `other`: clients cannot grow the label set.
 *
 * @throws GrayConfigError without a prom-client `registry`, with bad `stages`/`buckets`/`route`.
 */
export function grayHttpMetricsMiddleware(options: GrayHttpMetricsOptions): GrayHttpMiddleware {
  const registry = requireRegistry(options?.registry);
  const prom = resolvePromClient(options.promClient);
  const policy = options.policy ?? defaultGrayPolicy();
  const label = createStageLabeler(options.stages, options.policy);
  const route = options.route;
  if (route !== undefined && typeof route !== 'function') throw new GrayConfigError('graylane/observe: route must be a function.');
  const names = route === undefined ? ['method', 'code', 'release_stage'] : ['method', 'route', 'code', 'release_stage'];
  const total = ensureCounter(prom, registry, 'http_requests_total', 'Total number of HTTP requests completed.', names);
  const duration = ensureHistogram(prom, registry, 'http_request_duration_seconds', 'Duration of HTTP requests in seconds.', names, requireBuckets(options.buckets));
  const counters = new ChildCache((v) => total.labels(...v));
  const histograms = new ChildCache((v) => duration.labels(...v));

  const routeOf = (req: IncomingMessage): string => {
    try {
      return route?.(req) ?? '';
    } catch {
      return ''; // A faulty route function must not break the response path.
    }
  };
  const record = (state: RequestState, status: number): void => {
    const code = status >= 100 && status <= 599 ? String(status) : '0';
    const values = route === undefined ? [state.method, code, state.stage] : [state.method, routeOf(state.req), code, state.stage];
    counters.get(values).inc();
    histograms.get(values).observe((performance.now() - state.t0) / 1000);
  };

  return (req, res, next) => {
    const method = req.method !== undefined && METHODS.has(req.method) ? req.method : 'OTHER';
    (res as Tracked)[STATE] = { t0: performance.now(), method, stage: label(decidedContext(policy).stage), req, record };
    res.once('finish', onFinish);
    res.once('close', onFinish);
    next();
  };
}
