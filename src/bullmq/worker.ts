/**
 * `grayBullmqWorker`: BullMQ workers with each job's processor run inside the job's gray context
 * (read from `opts.graylane`, validated by the policy); the job completes or fails with the handler,
 * so attempts, backoff and stalled-job recovery are BullMQ's own. With `lanes`, the worker takes the
 * lane queue of its stage, and default workers also drain orphaned lanes.
 * @packageDocumentation
 */
import { Worker, type Job, type WorkerOptions } from 'bullmq';
import type { GrayContext } from '../core/context.js';
import { GrayConfigError } from '../core/errors.js';
import { defaultGrayPolicy, type GrayPolicy } from '../core/policy.js';
import type { RollbackGuard } from '../observe/rollback-guard.js';
import { requireRegistryStage } from '../routing/validate.js';
import { consumerFeed, type GrayConsumerMetricsOptions } from '../queue/consumer-feed.js';
import { startLaneConsumer } from '../queue/lane-consumer.js';
import { QueueLanes, requireLaneOptions, type GrayLaneOptions } from '../queue/lanes.js';
import { messageGrayContext, type MessageHeaders } from '../queue/message-carrier.js';
import { messageRunner } from '../queue/message-runner.js';
import { GRAY_JOB_OPTION, laneQueueName } from './lane-queue.js';

/** The `lanes` option of a worker: the lane options plus the worker's own stage. */
export interface GrayBullmqWorkerLanes extends GrayLaneOptions {
  /** The stage of this worker's code. Default: the policy's default stage (`'stable'`). */
  readonly stage?: string;
  /** The identifier announced in an etcd registry, shaped `host:port`. Default: one made from the pid and random bytes. */
  readonly address?: string;
}

/** Options of {@link grayBullmqWorker}. */
export interface GrayBullmqWorkerOptions {
  /** BullMQ worker options (`connection` required; `prefix`, `concurrency`, `lockDuration`, ...), used for every lane's worker. `autorun` is always on. */
  readonly worker: WorkerOptions;
  /** Policy validating `opts.graylane` of each job (junk → default stage, reported through `onInvalid`). Default: the default policy. */
  readonly policy?: GrayPolicy;
  /** Consume by lane, per the registry (see docs/queues.md). Default: none (one worker on the queue). */
  readonly lanes?: GrayBullmqWorkerLanes;
  /** Called with every error a handler threw or rejected with (errors of the hook are ignored). Default: none. */
  readonly onHandlerError?: (error: unknown, job: Job) => void;
  /** Per-stage metrics of handled jobs (prom-client). Default: none. */
  readonly metrics?: GrayConsumerMetricsOptions;
  /** A rollback guard fed with every handled job of its stage (failed: the handler threw). Default: none. */
  readonly guard?: RollbackGuard;
}

/** The handler of {@link grayBullmqWorker}: runs inside the job's gray context, which is also passed in; its result is the job's return value. */
export type GrayBullmqHandler = (job: Job, ctx: GrayContext) => unknown;

/** Running workers made by {@link grayBullmqWorker}. */
export interface GrayBullmqWorker {
  /** The queues worked right now (the main queue or the own lane, plus any drained lanes). */
  readonly queues: readonly string[];
  /** The stage of this worker. */
  readonly stage: string;
  /** Resolves once the lanes match the registry's current state (after a change, for tests and startup). */
  settled(): Promise<void>;
  /** Closes every BullMQ worker (active jobs finish first), leaves the registry. Idempotent. */
  close(): Promise<void>;
}

/** The gray context of a job: its `opts.graylane` validated by `policy` (no such option: the default stage). Never throws. */
export function jobGrayContext(job: Pick<Job, 'opts'>, policy: GrayPolicy = defaultGrayPolicy()): GrayContext {
  return messageGrayContext((job.opts as Record<string, unknown> | undefined)?.[GRAY_JOB_OPTION] as MessageHeaders | undefined, policy);
}

/**
 * Starts BullMQ workers for `queue` with `handler` run inside each job's gray context.
 *
 * @throws GrayConfigError (the promise rejects) for a bad handler or option.
 */
export async function grayBullmqWorker(queue: string, handler: GrayBullmqHandler, options: GrayBullmqWorkerOptions): Promise<GrayBullmqWorker> {
  if (typeof queue !== 'string' || queue === '' || queue.includes(':')) throw new GrayConfigError('graylane/bullmq: grayBullmqWorker needs a queue name (without ":").');
  if (typeof handler !== 'function') throw new GrayConfigError('graylane/bullmq: grayBullmqWorker needs a handler function.');
  if (typeof options?.worker !== 'object' || options.worker === null || options.worker.connection === undefined) {
    throw new GrayConfigError('graylane/bullmq: grayBullmqWorker needs options.worker with a connection ({ worker: { connection } }).');
  }
  const policy = options.policy ?? defaultGrayPolicy();
  const lanesOption = requireLaneOptions(options.lanes, 'grayBullmqWorker');
  const stage = lanesOption?.stage === undefined ? policy.defaultStage : requireRegistryStage(lanesOption.stage, 'grayBullmqWorker: lanes.stage');
  const feed = consumerFeed('bullmq', policy, options.metrics, options.guard, 'grayBullmqWorker');
  const lanes = lanesOption === undefined ? undefined : new QueueLanes(lanesOption, policy, queue, 'grayBullmqWorker');

  // The processor's promise settles with the handler: BullMQ completes or fails (retries) the job.
  const pending = new WeakMap<Job, { resolve(value: unknown): void; reject(error: unknown): void }>();
  const run = messageRunner<Job>({
    handler,
    queue,
    feed,
    onError: options.onHandlerError,
    settle(job, ok, _ctx, outcome) {
      const p = pending.get(job);
      pending.delete(job);
      if (ok) p?.resolve(outcome);
      else p?.reject(outcome);
    },
  });
  const processor = (job: Job): Promise<unknown> => new Promise((resolve, reject) => {
    pending.set(job, { resolve, reject });
    run(job, jobGrayContext(job, policy));
  });
  const nameOf = (s: string): string => laneQueueName(queue, s, policy.defaultStage);
  const running = await startLaneConsumer<Worker>({
    async start(s) {
      const worker = new Worker(nameOf(s), processor, { ...options.worker, autorun: true });
      worker.on('error', () => undefined); // connection errors: BullMQ reconnects; unhandled 'error' would crash the process
      await worker.waitUntilReady();
      return worker;
    },
    async stop(worker) {
      await worker.close();
    },
  }, stage, lanes, lanesOption?.address);
  return {
    stage,
    get queues() {
      return running.stages().map(nameOf);
    },
    settled: () => running.settled(),
    close: () => running.close(),
  };
}
