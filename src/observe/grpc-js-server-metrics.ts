/**
 * grpc-js server interceptor recording go-grpc-prometheus style metrics per release stage:
 * `grpc_server_handled_total` and `grpc_server_handling_seconds`.
 * @packageDocumentation
 */
import type { Metadata, ServerInterceptingCall, ServerInterceptingCallInterface, ServerInterceptor } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { decidedContext } from '../core/call-stage.js';
import { defaultGrayPolicy, type GrayPolicy } from '../core/policy.js';
import { createStageLabeler, type StageLabeler } from './stage-label.js';
import { grpcCodeName, MethodLabelCache, type MethodLabels } from './grpc-js-labels.js';
import { ChildCache, ensureCounter, ensureHistogram, requireBuckets, requireRegistry, resolvePromClient, type PromClientModule } from './prom-metrics.js';

/** Options of {@link grayServerMetricsInterceptor} and `grayClientMetricsInterceptor`. */
export interface GrayGrpcMetricsOptions {
  /** The prom-client `Registry` to register the metrics in. Required. */
  readonly registry: Registry;
  /** Stages that get their own `release_stage` label; any other stage is labelled `other`. Default: the policy's `stages`, else `['stable', 'canary']`. */
  readonly stages?: readonly string[];
  /**
   * Policy of the calls' stages: on the server its default stage labels calls without a gray context
   * (metadata is never read); on the client it reads the stage of outgoing calls (stage key and
   * aliases — pass the policy given to `registerGrayRouting`). Its `stages` are the default label
   * set. Default: the default policy.
   */
  readonly policy?: GrayPolicy;
  /** Handling-time histogram buckets, in seconds. Default `[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]`. */
  readonly buckets?: readonly number[];
  /** The prom-client module to build metrics with. Default: `prom-client` as installed beside graylane, loaded on first use. */
  readonly promClient?: PromClientModule;
}

/** Counter/histogram label names, in order: go-grpc-prometheus's plus `release_stage`. */
export const GRPC_COUNTER_LABELS = ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code', 'release_stage'] as const;
/** Histogram label names (go-grpc-prometheus keeps the code out of the histogram): plus `release_stage`. */
export const GRPC_HISTOGRAM_LABELS = ['grpc_type', 'grpc_service', 'grpc_method', 'release_stage'] as const;

type AnyListener = Parameters<ServerInterceptingCallInterface['start']>[0];

interface Recorder {
  readonly policy: GrayPolicy;
  readonly label: StageLabeler;
  record(labels: MethodLabels, stage: string, code: number | undefined, seconds: number): void;
}

/** Wraps the server's listener to learn the call's stage from the gray context the server decided. */
class MetricsServerListener {
  stage: string | undefined;
  done = false;
  readonly t0 = performance.now();

  constructor(
    private readonly next: AnyListener,
    private readonly recorder: Recorder,
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

/** Builds the shared recorder of server or client metrics. Internal. */
export function grpcRecorder(side: 'server' | 'client', options: GrayGrpcMetricsOptions): Recorder {
  const registry = requireRegistry(options?.registry);
  const prom = resolvePromClient(options.promClient);
  const policy = options.policy ?? defaultGrayPolicy();
  const label = createStageLabeler(options.stages, options.policy);
  const handled = ensureCounter(prom, registry, `grpc_${side}_handled_total`,
    side === 'server' ? 'Total number of RPCs completed on the server, regardless of success or failure.' : 'Total number of RPCs completed by the client, regardless of success or failure.',
    GRPC_COUNTER_LABELS);
  const seconds = ensureHistogram(prom, registry, `grpc_${side}_handling_seconds`,
    side === 'server' ? 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.' : 'Histogram of response latency (seconds) of the gRPC until it is finished by the application.',
    GRPC_HISTOGRAM_LABELS, requireBuckets(options.buckets));
  const counters = new ChildCache((v) => handled.labels(...v));
  const histograms = new ChildCache((v) => seconds.labels(...v));
  return {
    policy,
    label,
    record(labels, stage, code, secs) {
      counters.get([labels.type, labels.service, labels.method, grpcCodeName(code), stage]).inc();
      histograms.get([labels.type, labels.service, labels.method, stage]).observe(secs);
    },
  };
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
