/**
 * The per-stage gRPC metrics both gRPC adapters record (go-grpc-prometheus names and labels, plus
 * `release_stage`): options, label names and the shared recorder. Imports no gRPC framework.
 * @packageDocumentation
 */
import type { Registry } from 'prom-client';
import { defaultGrayPolicy, type GrayPolicy } from '../core/policy.js';
import { createStageLabeler, type StageLabeler } from './stage-label.js';
import { grpcCodeName, type MethodLabels } from './grpc-labels.js';
import { ensureCounter, ensureHistogram, requireBuckets, requireRegistry, resolvePromClient, type PromClientModule } from './prom-metrics.js';

/**
 * Options of the gRPC metrics feeds: `grayServerMetricsInterceptor` / `grayClientMetricsInterceptor`
 * (`graylane/observe/grpc-js`) and `grayServerMetricsMiddleware` / `grayClientMetricsMiddleware`
 * (`graylane/observe/nice-grpc`).
 */
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

/** The label children of one method and stage: the histogram's, and the counter's per code. */
interface StageChildren {
  readonly seconds: { observe(value: number): void };
  readonly handled: Array<{ inc(): void } | undefined>;
}

/** Slot of a status code in {@link StageChildren.handled}: the code itself, `UNKNOWN` (2) outside 0–16. */
function codeSlot(code: number | undefined): number {
  return code !== undefined && code >= 0 && code <= 16 && Number.isInteger(code) ? code : 2;
}

/** Records finished calls of one side into the registry's counter and histogram. Internal. */
export interface GrpcRecorder {
  /** The policy of the calls' stages. */
  readonly policy: GrayPolicy;
  /** Maps a stage to its bounded `release_stage` label. */
  readonly label: StageLabeler;
  /** Counts and times one finished call. */
  record(labels: MethodLabels, stage: string, code: number | undefined, seconds: number): void;
}

/**
 * Builds the shared recorder of server or client metrics. Internal.
 * @throws GrayConfigError without a prom-client `registry`, with bad `stages` or `buckets`, or when
 *   the registry holds a same-named metric of another shape.
 */
export function grpcRecorder(side: 'server' | 'client', options: GrayGrpcMetricsOptions): GrpcRecorder {
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
  // Label children per method's labels object (one per path, from MethodLabelCache: bounded), then
  // per stage label, then per code: the request path builds no key and allocates nothing once a
  // child exists. A Map, not a WeakMap: its lookups are cheaper and the keys are few and long-lived.
  const children = new Map<MethodLabels, Map<string, StageChildren>>();
  const childrenOf = (labels: MethodLabels, stage: string): StageChildren => {
    let byStage = children.get(labels);
    if (byStage === undefined) children.set(labels, (byStage = new Map()));
    let kids = byStage.get(stage);
    if (kids === undefined) {
      kids = { seconds: seconds.labels(labels.type, labels.service, labels.method, stage), handled: [] };
      byStage.set(stage, kids);
    }
    return kids;
  };
  return {
    policy,
    label,
    record(labels, stage, code, secs) {
      const kids = childrenOf(labels, stage);
      const slot = codeSlot(code);
      (kids.handled[slot] ??= handled.labels(labels.type, labels.service, labels.method, grpcCodeName(slot), stage)).inc();
      kids.seconds.observe(secs);
    },
  };
}
