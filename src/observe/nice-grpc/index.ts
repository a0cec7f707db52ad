/**
 * nice-grpc middleware for graylane/observe: the hop trace (the counterparts of
 * `grayHopTraceServerInterceptor` and `grayHopTraceClientInterceptor`, so nice-grpc services and
 * clients appear in the trace too), per-stage prom-client metrics (`grayServerMetricsMiddleware`,
 * `grayClientMetricsMiddleware`) and the rollback guard's feed (`rollbackGuardClientMiddleware`).
 * @packageDocumentation
 */
import { hostname } from 'node:os';
import { ClientError, Metadata, ServerError, Status, type CallContext, type ClientMiddleware, type ServerMiddleware, type ServerMiddlewareCall } from 'nice-grpc-common';
import { bindAsyncGenerator } from '../../core/bind-async.js';
import { decidedContext, outgoingStage } from '../../core/call-stage.js';
import { getGrayContext } from '../../core/context.js';
import { GrayConfigError } from '../../core/errors.js';
import { defaultGrayPolicy, makeContext, type GrayPolicy } from '../../core/policy.js';
import { HopCollector, getHopCollector, setHopCollector } from '../hop-collector.js';
import { HOPS_TRAILER_KEY, HOP_TRACE_KEY, isHopName } from '../hop-trace.js';
import { niceMetadataCarrier } from '../../nice-grpc/carrier.js';
import { MethodLabelCache } from '../grpc-js-labels.js';
import { grpcRecorder, type GrayGrpcMetricsOptions } from '../grpc-js-server-metrics.js';
import { isRollbackGuard, type RollbackGuard } from '../rollback-guard.js';

/** Options of {@link grayHopTraceClientMiddleware}. */
export interface GrayHopTraceClientMiddlewareOptions {
  /** Ask for a trace on every call made through this client. Default `false`. */
  readonly trace?: boolean;
}

/**
 * Creates a nice-grpc client middleware that, inside a traced request, collects each call's
 * `x-gray-hops` trailer into the request's trace (and adds `x-gray-trace: 1` when missing). The
 * caller's `Metadata` is never modified. Outside traced requests it costs one WeakMap lookup.
 */
export function grayHopTraceClientMiddleware(options: GrayHopTraceClientMiddlewareOptions = {}): ClientMiddleware {
  const always = options.trace === true;
  return async function* hopTrace(call, callOptions) {
    const collector = getHopCollector(getGrayContext());
    if (collector === undefined && !always) return yield* call.next(call.request, callOptions);
    const metadata = Metadata(callOptions.metadata);
    if (!metadata.has(HOP_TRACE_KEY)) metadata.set(HOP_TRACE_KEY, '1');
    const onTrailer = callOptions.onTrailer;
    return yield* call.next(call.request, {
      ...callOptions,
      metadata,
      onTrailer(trailer) {
        collector?.addDownstream(trailer.get(HOPS_TRAILER_KEY));
        onTrailer?.(trailer);
      },
    });
  };
}

/** Options of {@link grayHopTraceServerMiddleware}. */
export interface GrayHopTraceServerMiddlewareOptions {
  /** Service name recorded in the hop, e.g. `'inventory'`. Required. */
  readonly service: string;
  /** Instance name recorded in the hop. Default: `<hostname>:<pid>`. */
  readonly instance?: string;
  /**
   * Decides whether to honour a trace request (asked only for calls carrying `x-gray-trace: 1`; a
   * throw counts as `false`). Set it at an edge facing untrusted clients. Default: every request honoured.
   */
  readonly accept?: (metadata: CallContext['metadata']) => boolean;
}

/**
 * Creates a nice-grpc server middleware that, for calls carrying `x-gray-trace: 1`, adds this
 * server's hop and the hops of the downstream calls it made to the `x-gray-hops` trailer. Use it
 * **after** `grayServerMiddleware()` (`.use(grayServerMiddleware()).use(grayHopTraceServerMiddleware({ service }))`)
 * so it sees the request's stage. Untraced calls cost one metadata lookup.
 *
 * @throws GrayConfigError for a missing or invalid `service` / `instance`.
 */
export function grayHopTraceServerMiddleware(options: GrayHopTraceServerMiddlewareOptions): ServerMiddleware {
  const service = options?.service;
  const instance = options?.instance ?? `${hostname()}:${process.pid}`.replace(/[^A-Za-z0-9._:@/-]/g, '_').slice(0, 128);
  for (const [name, value] of [['service', service], ['instance', instance]] as const) {
    if (typeof value !== 'string' || !isHopName(value)) {
      throw new GrayConfigError(`graylane/observe: hop trace needs a ${name} of [A-Za-z0-9._:@/-] (1–128 characters), got ${JSON.stringify(value)}.`);
    }
  }
  const accept = options.accept;
  const accepted = (md: CallContext['metadata']): boolean => {
    try {
      return accept === undefined || accept(md) === true;
    } catch {
      return false;
    }
  };
  return async function* hopTraceServer<Req, Res>(call: ServerMiddlewareCall<Req, Res>, context: CallContext) {
    if (context.metadata.get(HOP_TRACE_KEY) !== '1' || !accepted(context.metadata)) return yield* call.next(call.request, context);
    const base = decidedContext(defaultGrayPolicy());
    // A context object of this request's own: it keys the collector and forwards the flag downstream.
    const ctx = makeContext(base.stage, base.explicit, { ...base.entries, [HOP_TRACE_KEY]: '1' });
    const collector = new HopCollector({ depth: 0, service, instance, stage: base.stage, explicit: base.explicit });
    setHopCollector(ctx, collector);
    try {
      return yield* bindAsyncGenerator(call.next(call.request, context) as AsyncGenerator<Res, Res | void, undefined>, ctx);
    } finally {
      context.trailer.set(HOPS_TRAILER_KEY, collector.encode());
    }
  };
}

/** Options of {@link rollbackGuardClientMiddleware}. */
export interface RollbackGuardClientMiddlewareOptions {
  /**
   * Which status codes count as failures (a caller's abort arrives as `CANCELLED`). Default: every
   * code but `OK` and `CANCELLED` — an abort says nothing about the guarded stage, and must not let
   * a client that disconnects trip it.
   */
  readonly isFailure?: (code: Status) => boolean;
  /** Policy used to read an explicit stage from the call's metadata. Default: the default policy. */
  readonly policy?: GrayPolicy;
}

const notOk = (code: Status): boolean => code !== Status.OK && code !== Status.CANCELLED;

/**
 * Creates a nice-grpc client middleware that records every call of the guard's stage (the call's
 * explicit `x-release-stage`, else the caller's gray context) into `guard`: failed or not, and its
 * latency until the call settles — the nice-grpc counterpart of `rollbackGuardInterceptor`. Calls of
 * other stages, and every call while the guard is tripped, pass straight through. A streaming call
 * the caller stops reading early counts as finished without error.
 *
 * @throws GrayConfigError when `guard` is not a {@link RollbackGuard} (of any copy of graylane: recognised by its brand, not `instanceof`) or `isFailure` is not a function.
 */
export function rollbackGuardClientMiddleware(guard: RollbackGuard, options: RollbackGuardClientMiddlewareOptions = {}): ClientMiddleware {
  if (!isRollbackGuard(guard)) throw new GrayConfigError('graylane/observe: rollbackGuardClientMiddleware needs a guard from createRollbackGuard().');
  const isFailure = options.isFailure ?? notOk;
  if (typeof isFailure !== 'function') throw new GrayConfigError('graylane/observe: isFailure must be a function.');
  const policy = options.policy ?? defaultGrayPolicy();
  return async function* rollbackGuard(call, callOptions) {
    if (guard.state === 'tripped' || outgoingStage(callOptions.metadata, niceMetadataCarrier, policy) !== guard.stage) return yield* call.next(call.request, callOptions);
    const t0 = performance.now();
    return yield* settled(call.next(call.request, callOptions), 'client', (code) => {
      let failed = true;
      try {
        failed = isFailure(code);
      } catch {
        // A faulty predicate counts the call as failed rather than breaking the caller.
      }
      guard.record(guard.stage, !failed, performance.now() - t0);
    });
  };
}

/**
 * Delegates to a call's generator and reports the status it settled with: `OK` when it returned (or
 * the consumer stopped early), else the code of what it threw (see {@link statusOf}).
 */
async function* settled<T, R>(inner: AsyncGenerator<T, R | void, undefined>, side: 'client' | 'server', done: (code: Status) => void): AsyncGenerator<T, R | void, undefined> {
  let code = Status.OK;
  try {
    return yield* inner;
  } catch (e) {
    code = statusOf(e, side);
    throw e;
  } finally {
    done(code);
  }
}

/** The gRPC status a settled nice-grpc call ended with, from what it threw (nothing: `OK`). */
function statusOf(error: unknown, side: 'client' | 'server'): Status {
  if (side === 'client' && error instanceof ClientError) return error.code;
  if (side === 'server' && error instanceof ServerError) return error.code;
  return (error as Error | undefined)?.name === 'AbortError' ? Status.CANCELLED : Status.UNKNOWN;
}

/**
 * Creates a nice-grpc server middleware counting handled calls and timing them per method, code and
 * release stage — the same `grpc_server_handled_total` / `grpc_server_handling_seconds` metrics,
 * labels and options as `grayServerMetricsInterceptor` (so grpc-js and nice-grpc services share
 * dashboards). Use it **after** `grayServerMiddleware()` so it sees the stage the server decided;
 * before it (or without it) every call is labelled with the default stage — the caller's metadata
 * is never read. A handler's `ServerError` gives its code, any
 * other error `UNKNOWN` (what nice-grpc sends), a client cancel `CANCELLED`.
 *
 * @throws GrayConfigError without a prom-client `registry`, with bad `stages` or `buckets`, or when
 *   the registry holds a same-named metric of another shape.
 */
export function grayServerMetricsMiddleware(options: GrayGrpcMetricsOptions): ServerMiddleware {
  const recorder = grpcRecorder('server', options);
  const methods = new MethodLabelCache();
  return async function* serverMetrics<Req, Res>(call: ServerMiddlewareCall<Req, Res>, context: CallContext) {
    const labels = methods.get(call.method.path, call.method.requestStream, call.method.responseStream);
    const stage = recorder.label(decidedContext(recorder.policy).stage);
    const t0 = performance.now();
    return yield* settled(call.next(call.request, context), 'server', (code) => recorder.record(labels, stage, code, (performance.now() - t0) / 1000));
  };
}

/**
 * Creates a nice-grpc client middleware counting completed calls and timing them per method, code
 * and release stage (the call's explicit `x-release-stage`, else the caller's gray context, else the
 * default stage): `grpc_client_handled_total` / `grpc_client_handling_seconds`, as
 * `grayClientMetricsInterceptor`. A caller's abort counts as `CANCELLED`.
 *
 * @throws GrayConfigError without a prom-client `registry`, with bad `stages` or `buckets`, or when
 *   the registry holds a same-named metric of another shape.
 */
export function grayClientMetricsMiddleware(options: GrayGrpcMetricsOptions): ClientMiddleware {
  const recorder = grpcRecorder('client', options);
  const methods = new MethodLabelCache();
  const policy = recorder.policy;
  return async function* clientMetrics(call, callOptions) {
    const labels = methods.get(call.method.path, call.method.requestStream, call.method.responseStream);
    const stage = recorder.label(outgoingStage(callOptions.metadata, niceMetadataCarrier, policy));
    const t0 = performance.now();
    return yield* settled(call.next(call.request, callOptions), 'client', (code) => recorder.record(labels, stage, code, (performance.now() - t0) / 1000));
  };
}
export type { GrayGrpcMetricsOptions } from '../grpc-js-server-metrics.js';
