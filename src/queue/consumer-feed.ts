/**
 * The consumer side's feeds, shared by every queue adapter: per-stage metrics of consumed messages
 * (count by outcome, handling time) and a rollback guard fed with failed handlers of its stage.
 * prom-client is loaded only when metrics are asked for.
 * @packageDocumentation
 */
import type { Registry } from 'prom-client';
import { GrayConfigError } from '../core/errors.js';
import type { GrayPolicy } from '../core/policy.js';
import { ChildCache, ensureCounter, ensureHistogram, requireBuckets, requireRegistry, resolvePromClient, type PromClientModule } from '../observe/prom-metrics.js';
import { isRollbackGuard, type RollbackGuard } from '../observe/rollback-guard.js';
import { createStageLabeler } from '../observe/stage-label.js';

/** Per-stage metrics of a queue consumer: `messaging_messages_consumed_total` and `messaging_message_handling_seconds`. */
export interface GrayConsumerMetricsOptions {
  /** The prom-client `Registry` to register the metrics in. Required. */
  readonly registry: Registry;
  /** Stages that get their own `release_stage` label; others are labelled `other`. Default: the policy's `stages`, else `['stable', 'canary']`. */
  readonly stages?: readonly string[];
  /** Handling-time histogram buckets, in seconds. Default `[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]`. */
  readonly buckets?: readonly number[];
  /** The prom-client module to build metrics with. Default: `prom-client` beside graylane, loaded on first use. */
  readonly promClient?: PromClientModule;
}

/** The feeds a consumer reports each handled message to. Internal. */
export type ConsumerFeed = (queue: string, stage: string, ok: boolean, ms: number) => void;

/** Metric names and labels (the `release_stage` label as in the rest of graylane/observe). */
export const CONSUMER_COUNTER = 'messaging_messages_consumed_total';
/** Name of the handling-time histogram. */
export const CONSUMER_HISTOGRAM = 'messaging_message_handling_seconds';

/**
 * Builds the feed of a consumer from its options, or `undefined` when it has none. `system` is the
 * `messaging_system` label (`rabbitmq`, `nats`, `bullmq`). Throws `GrayConfigError` for bad options. Internal.
 */
export function consumerFeed(system: string, policy: GrayPolicy, metrics: GrayConsumerMetricsOptions | undefined, guard: RollbackGuard | undefined, where: string): ConsumerFeed | undefined {
  if (guard !== undefined && !isRollbackGuard(guard)) throw new GrayConfigError(`graylane: ${where}: guard must come from createRollbackGuard() (graylane/observe).`);
  let record: ConsumerFeed | undefined;
  if (metrics !== undefined) {
    if (typeof metrics !== 'object' || metrics === null) throw new GrayConfigError(`graylane: ${where}: metrics must be { registry } with a prom-client Registry.`);
    const registry = requireRegistry(metrics.registry);
    const prom = resolvePromClient(metrics.promClient);
    const label = createStageLabeler(metrics.stages, policy);
    const names = ['messaging_system', 'queue', 'outcome', 'release_stage'];
    const total = ensureCounter(prom, registry, CONSUMER_COUNTER, 'Messages handled by queue consumers, by outcome (ok, error).', names);
    const hist = ensureHistogram(prom, registry, CONSUMER_HISTOGRAM, 'Time queue consumers spent handling a message, in seconds.', ['messaging_system', 'queue', 'release_stage'], requireBuckets(metrics.buckets));
    const counters = new ChildCache((v) => total.labels(...v));
    const histograms = new ChildCache((v) => hist.labels(...v));
    record = (queue, stage, ok, ms) => {
      const s = label(stage);
      counters.get([system, queue, ok ? 'ok' : 'error', s]).inc();
      histograms.get([system, queue, s]).observe(ms / 1000);
    };
  }
  if (guard === undefined) return record;
  const metricsRecord = record;
  return (queue, stage, ok, ms) => {
    metricsRecord?.(queue, stage, ok, ms);
    guard.record(stage, ok, ms);
  };
}
