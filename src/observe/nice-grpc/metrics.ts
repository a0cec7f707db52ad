/**
 * nice-grpc middleware recording the per-stage gRPC metrics of `graylane/observe/grpc-js` — same
 * names, labels and options — so grpc-js and nice-grpc services share dashboards.
 * @packageDocumentation
 */
import type { CallContext, ClientMiddleware, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';
import { decidedContext, outgoingStage } from '../../core/call-stage.js';
import { niceMetadataCarrier } from '../../nice-grpc/carrier.js';
import { MethodLabelCache } from '../grpc-labels.js';
import { grpcRecorder, type GrayGrpcMetricsOptions } from '../grpc-metrics.js';
import { settled } from './settled.js';

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
