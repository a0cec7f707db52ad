/**
 * grpc-js client feed recording go-grpc-prometheus style metrics per release stage:
 * `grpc_client_handled_total` and `grpc_client_handling_seconds` — as a job (for the fused stack)
 * and as an interceptor of its own.
 * @packageDocumentation
 */
import type { Interceptor, StatusObject } from '@grpc/grpc-js';
import { clientInterceptorOf, type ClientCallWatcher, type ClientJob } from '../../grpc-js/client-call.js';
import { MethodLabelCache, type MethodLabels } from '../grpc-labels.js';
import { grpcRecorder, type GrayGrpcMetricsOptions, type GrpcRecorder } from '../grpc-metrics.js';

/** Times one call from its start and records it when the status arrives. */
class MetricsWatcher implements ClientCallWatcher {
  constructor(private readonly recorder: GrpcRecorder, private readonly labels: MethodLabels, private readonly stage: string) {}

  onStatus(status: StatusObject, ms: number): void {
    this.recorder.record(this.labels, this.stage, status.code, ms / 1000);
  }
}

/**
 * The client metrics job: labels each call with the stage it goes out with (the metadata so far,
 * else the caller's context). Internal.
 * @throws GrayConfigError as {@link grayClientMetricsInterceptor}.
 */
export function clientMetricsJob(options: GrayGrpcMetricsOptions): ClientJob {
  const recorder = grpcRecorder('client', options);
  const methods = new MethodLabelCache();
  return {
    start(call) {
      const labels = methods.get(call.method.path, call.method.requestStream, call.method.responseStream);
      const stage = recorder.label(call.stageFor(recorder.policy));
      call.watch(new MetricsWatcher(recorder, labels, stage));
    },
  };
}

/**
 * Creates a grpc-js client interceptor counting completed calls and timing them per method, code
 * and release stage (the call's explicit `x-release-stage`, else the caller's gray context, else
 * the default stage; stages outside `stages` are labelled `other`). Same options and defaults as
 * `grayServerMetricsInterceptor`. Per-call `interceptors` replace the client's: pass it there too.
 * `grayGrpcClientStack({ metrics })` does the same in one layer with the context.
 *
 * @throws GrayConfigError without a prom-client `registry`, with bad `stages` or `buckets`, or when
 *   the registry holds a same-named metric of another shape.
 */
export function grayClientMetricsInterceptor(options: GrayGrpcMetricsOptions): Interceptor {
  return clientInterceptorOf([clientMetricsJob(options)]);
}
