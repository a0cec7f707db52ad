/**
 * grpc-js server feed recording go-grpc-prometheus style metrics per release stage:
 * `grpc_server_handled_total` and `grpc_server_handling_seconds` — as a job (for the fused stack)
 * and as an interceptor of its own.
 * @packageDocumentation
 */
import type { Metadata, ServerInterceptor } from '@grpc/grpc-js';
import { decidedContext } from '../../core/call-stage.js';
import type { GrayContext } from '../../core/context.js';
import { serverInterceptorOf, type GrayServerStatus, type ServerCallJob, type ServerJob } from '../../grpc-js/server-call.js';
import { MethodLabelCache, type MethodLabels } from '../grpc-labels.js';
import { grpcRecorder, type GrayGrpcMetricsOptions, type GrpcRecorder } from '../grpc-metrics.js';

/** One call's metrics: its stage is the context the server decided, recorded once when it ends. */
class MetricsServerCall implements ServerCallJob {
  private stage: string | undefined;
  private done = false;
  private readonly t0 = performance.now();

  constructor(private readonly recorder: GrpcRecorder, private readonly labels: MethodLabels) {}

  metadata(_md: Metadata, ctx: GrayContext | undefined): GrayContext | undefined {
    this.stage = (ctx ?? decidedContext(this.recorder.policy)).stage;
    return ctx;
  }

  cancel(): void {
    this.finish(1);
  }

  status(status: GrayServerStatus): void {
    this.finish(status.code);
  }

  private finish(code: number | undefined): void {
    if (this.done) return;
    this.done = true;
    this.recorder.record(this.labels, this.recorder.label(this.stage), code, (performance.now() - this.t0) / 1000);
  }
}

/**
 * The server metrics job: counts and times each call by the context decided before it (the context
 * job's, else the current gray context, else the policy's default). Internal.
 * @throws GrayConfigError as {@link grayServerMetricsInterceptor}.
 */
export function serverMetricsJob(options: GrayGrpcMetricsOptions): ServerJob {
  const recorder = grpcRecorder('server', options);
  const methods = new MethodLabelCache();
  return { perCall: (method) => new MetricsServerCall(recorder, methods.get(method.path, method.requestStream, method.responseStream)) };
}

/**
 * Creates a grpc-js server interceptor counting handled calls and timing them per method, code and
 * release stage. List it **after** `grayServerInterceptor()` so it sees the stage the server decided;
 * listed before it (or without it) every call is labelled with the default stage — the caller's
 * metadata is never read. Stages outside `stages` are
 * labelled `other`, so junk stages cannot grow the label set. Cancelled calls count as `CANCELLED`.
 * `grayGrpcServerStack({ metrics })` does the same in the right order, in one layer.
 *
 * @throws GrayConfigError without a prom-client `registry`, with bad `stages` or `buckets`, or when
 *   the registry holds a same-named metric of another shape.
 */
export function grayServerMetricsInterceptor(options: GrayGrpcMetricsOptions): ServerInterceptor {
  return serverInterceptorOf([serverMetricsJob(options)]);
}
