/**
 * grpc-js client interceptor recording go-grpc-prometheus style metrics per release stage:
 * `grpc_client_handled_total` and `grpc_client_handling_seconds`.
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { Interceptor, InterceptingListener, Metadata, StatusObject } from '@grpc/grpc-js';
import { outgoingStage } from '../../core/call-stage.js';
import { grpcMetadataCarrier } from '../../grpc-js/carrier.js';
import { MethodLabelCache, type MethodLabels } from '../grpc-labels.js';
import { grpcRecorder, type GrayGrpcMetricsOptions, type GrpcRecorder } from '../grpc-metrics.js';

/** Times the call and records it when the status arrives (one-argument methods: grpc-js uses it as-is). */
class MetricsClientListener implements InterceptingListener {
  private readonly t0 = performance.now();

  constructor(
    private readonly next: InterceptingListener,
    private readonly recorder: GrpcRecorder,
    private readonly labels: MethodLabels,
    private readonly stage: string,
  ) {}

  onReceiveMetadata(md: Metadata): void { this.next.onReceiveMetadata(md); }
  onReceiveMessage(message: unknown): void { this.next.onReceiveMessage(message); }
  onReceiveStatus(status: StatusObject): void {
    this.recorder.record(this.labels, this.stage, status.code, (performance.now() - this.t0) / 1000);
    this.next.onReceiveStatus(status);
  }
}

/**
 * Creates a grpc-js client interceptor counting completed calls and timing them per method, code
 * and release stage (the call's explicit `x-release-stage`, else the caller's gray context, else
 * the default stage; stages outside `stages` are labelled `other`). Same options and defaults as
 * `grayServerMetricsInterceptor`. Per-call `interceptors` replace the client's: pass it there too.
 *
 * @throws GrayConfigError without a prom-client `registry`, with bad `stages` or `buckets`, or when
 *   the registry holds a same-named metric of another shape.
 */
export function grayClientMetricsInterceptor(options: GrayGrpcMetricsOptions): Interceptor {
  const recorder = grpcRecorder('client', options);
  const methods = new MethodLabelCache();
  return (callOptions, nextCall) => {
    const def = callOptions.method_definition;
    const labels = methods.get(def.path, def.requestStream, def.responseStream);
    return new grpc.InterceptingCall(nextCall(callOptions), {
      start(md, listener, next) {
        const stage = recorder.label(outgoingStage(md, grpcMetadataCarrier, recorder.policy));
        next(md, new MetricsClientListener(listener as InterceptingListener, recorder, labels, stage));
      },
    });
  };
}
