/**
 * grpc-js server interceptor recording go-grpc-prometheus style metrics per release stage:
 * `grpc_server_handled_total` and `grpc_server_handling_seconds`.
 * @packageDocumentation
 */
import type { Metadata, ServerInterceptingCall, ServerInterceptingCallInterface, ServerInterceptor } from '@grpc/grpc-js';
import { decidedContext } from '../../core/call-stage.js';
import { MethodLabelCache, type MethodLabels } from '../grpc-labels.js';
import { grpcRecorder, type GrayGrpcMetricsOptions, type GrpcRecorder } from '../grpc-metrics.js';

type AnyListener = Parameters<ServerInterceptingCallInterface['start']>[0];

/** Wraps the server's listener to learn the call's stage from the gray context the server decided. */
class MetricsServerListener {
  stage: string | undefined;
  done = false;
  readonly t0 = performance.now();

  constructor(
    private readonly next: AnyListener,
    private readonly recorder: GrpcRecorder,
    private readonly labels: MethodLabels,
  ) {}

  onReceiveMetadata(md: Metadata): void {
    this.stage = decidedContext(this.recorder.policy).stage;
    this.next.onReceiveMetadata(md);
  }
  onReceiveMessage(message: unknown): void { this.next.onReceiveMessage(message); }
  onReceiveHalfClose(): void { this.next.onReceiveHalfClose(); }
  onCancel(): void {
    this.finish(1);
    this.next.onCancel();
  }

  finish(code: number | undefined): void {
    if (this.done) return;
    this.done = true;
    this.recorder.record(this.labels, this.recorder.label(this.stage), code, (performance.now() - this.t0) / 1000);
  }
}

/**
 * Creates a grpc-js server interceptor counting handled calls and timing them per method, code and
 * release stage. List it **after** `grayServerInterceptor()` so it sees the stage the server decided;
 * listed before it (or without it) every call is labelled with the default stage — the caller's
 * metadata is never read. Stages outside `stages` are
 * labelled `other`, so junk stages cannot grow the label set. Cancelled calls count as `CANCELLED`.
 *
 * @throws GrayConfigError without a prom-client `registry`, with bad `stages` or `buckets`, or when
 *   the registry holds a same-named metric of another shape.
 */
export function grayServerMetricsInterceptor(options: GrayGrpcMetricsOptions): ServerInterceptor {
  const recorder = grpcRecorder('server', options);
  const methods = new MethodLabelCache();
  return (descriptor, call) => {
    const labels = methods.get(descriptor.path, descriptor.requestStream, descriptor.responseStream);
    const start = call.start;
    const sendStatus = call.sendStatus;
    let listener: MetricsServerListener | undefined;
    call.start = (next) => {
      listener = new MetricsServerListener(next, recorder, labels);
      start.call(call, listener);
    };
    call.sendStatus = (status) => {
      listener?.finish(status.code);
      sendStatus.call(call, status);
    };
    return call as ServerInterceptingCall;
  };
}
