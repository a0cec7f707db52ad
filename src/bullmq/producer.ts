/**
 * `grayBullmqProducer`: adding jobs inside a gray context stamps the propagated keys into the job's
 * options (`opts.graylane`, a copy; keys you set there win; `data` untouched); with `lanes`, each
 * job goes to the lane queue its stage is routed to.
 * @packageDocumentation
 */
import type { Job, JobsOptions, Queue } from 'bullmq';
import { callStage } from '../core/call-stage.js';
import { getGrayContext } from '../core/context.js';
import { GrayConfigError } from '../core/errors.js';
import { defaultGrayPolicy, type GrayPolicy } from '../core/policy.js';
import { QueueLanes, requireLaneOptions, type GrayLaneOptions } from '../queue/lanes.js';
import { messageHeadersGetter, stampHeaders, type MessageHeaders } from '../queue/message-carrier.js';
import { GRAY_JOB_OPTION, laneQueueName } from './lane-queue.js';

/** Options of {@link grayBullmqProducer}. */
export interface GrayBullmqProducerOptions {
  /** Policy naming the stage key and default stage (use the same as your interceptors). Default: the default policy. */
  readonly policy?: GrayPolicy;
  /** Route each job to its lane queue, read from this registry (see docs/queues.md). Default: none (carry only). */
  readonly lanes?: GrayLaneOptions;
}

/** A producer that carries the gray context; made by {@link grayBullmqProducer}. */
export interface GrayBullmqProducer {
  /**
   * `queue.add` with the current context's keys added to a copy of `opts.graylane` (a key you set
   * there wins; `data` is never touched). With `lanes`, the job goes to `<queue>.lane.<stage>` when
   * the registry's rules send its stage there (that queue is opened on first use, with the main
   * queue's options).
   */
  add(name: string, data: unknown, opts?: JobsOptions): Promise<Job>;
  /** `addBulk` with the same stamping; with `lanes`, each job goes to its lane queue. */
  addBulk(jobs: ReadonlyArray<{ name: string; data: unknown; opts?: JobsOptions }>): Promise<Job[]>;
  /** The queue a job added now would go to (the lane decision), for logs and tests. */
  laneOf(): string;
  /** Closes the lane queues this producer opened (never your main queue). */
  close(): Promise<void>;
}

type WithGray = JobsOptions & { [GRAY_JOB_OPTION]?: MessageHeaders };

/**
 * Wraps a BullMQ `Queue` for adding jobs with the gray context.
 *
 * @throws GrayConfigError when `queue` is not a BullMQ Queue or `lanes` is malformed.
 */
export function grayBullmqProducer(queue: Queue, options: GrayBullmqProducerOptions = {}): GrayBullmqProducer {
  if (typeof queue?.add !== 'function' || typeof queue.addBulk !== 'function' || typeof queue.name !== 'string') {
    throw new GrayConfigError('graylane/bullmq: grayBullmqProducer(queue) needs a BullMQ Queue (new Queue(name, { connection })).');
  }
  const policy = options.policy ?? defaultGrayPolicy();
  const laneOptions = requireLaneOptions(options.lanes, 'grayBullmqProducer');
  const lanes = laneOptions === undefined ? undefined : new QueueLanes(laneOptions, policy, queue.name, 'grayBullmqProducer');
  const opened = new Map<string, Queue>();
  const queueFor = (stage: string): Queue => {
    if (stage === policy.defaultStage) return queue;
    let q = opened.get(stage);
    if (q === undefined) {
      // The same Queue class and options as the main queue (connection, prefix, default job options).
      const QueueClass = queue.constructor as new (name: string, opts: Queue['opts']) => Queue;
      opened.set(stage, (q = new QueueClass(laneQueueName(queue.name, stage, policy.defaultStage), queue.opts)));
    }
    return q;
  };
  const stamp = (opts: JobsOptions | undefined): WithGray | undefined => {
    const ctx = getGrayContext();
    const own = (opts as WithGray | undefined)?.[GRAY_JOB_OPTION];
    if (ctx === undefined) return opts;
    const headers = stampHeaders(own, ctx);
    return headers === own ? opts : { ...opts, [GRAY_JOB_OPTION]: headers };
  };
  const laneStage = (opts: JobsOptions | undefined): string => {
    if (lanes === undefined) return policy.defaultStage;
    const own = (opts as WithGray | undefined)?.[GRAY_JOB_OPTION];
    return lanes.laneFor(callStage(own, messageHeadersGetter, policy, getGrayContext()));
  };
  return {
    async add(name, data, opts) {
      return queueFor(laneStage(opts)).add(name, data, stamp(opts));
    },
    async addBulk(jobs) {
      const byLane = new Map<string, Array<{ name: string; data: unknown; opts?: JobsOptions }>>();
      const order: Array<[string, number]> = [];
      for (const job of jobs) {
        const stage = laneStage(job.opts);
        let list = byLane.get(stage);
        if (list === undefined) byLane.set(stage, (list = []));
        order.push([stage, list.length]);
        list.push({ ...job, opts: stamp(job.opts) });
      }
      const added = new Map<string, Job[]>();
      for (const [stage, list] of byLane) added.set(stage, await queueFor(stage).addBulk(list));
      return order.map(([stage, i]) => added.get(stage)![i]!);
    },
    laneOf: () => laneQueueName(queue.name, laneStage(undefined), policy.defaultStage),
    async close() {
      const list = [...opened.values()];
      opened.clear();
      await Promise.all(list.map((q) => q.close()));
    },
  };
}
