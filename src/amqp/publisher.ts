/**
 * `grayAmqpPublisher`: publishing to RabbitMQ inside a gray context stamps the propagated keys into
 * the message headers (the publisher's own keys win); with `lanes`, `sendToQueue` puts each message
 * in the lane queue its stage is routed to.
 * @packageDocumentation
 */
import type { Options } from 'amqplib';
import { callStage } from '../core/call-stage.js';
import { getGrayContext } from '../core/context.js';
import { GrayConfigError } from '../core/errors.js';
import { defaultGrayPolicy, type GrayPolicy } from '../core/policy.js';
import { QueueLanes, requireLaneOptions, type GrayLaneOptions } from '../queue/lanes.js';
import { messageHeadersGetter, stampHeaders, type MessageHeaders } from '../queue/message-carrier.js';
import { DEFAULT_LANE_QUEUE, LaneDeclarations, laneQueueName, type AmqpChannelLike } from './lane-queue.js';

/** Options of {@link grayAmqpPublisher}. */
export interface GrayAmqpPublisherOptions {
  /** Policy naming the stage key and default stage (use the same as your interceptors). Default: the default policy. */
  readonly policy?: GrayPolicy;
  /** Route `sendToQueue` by lane, read from this registry (see docs/queues.md). Default: none (carry only). */
  readonly lanes?: GrayLaneOptions;
  /** How lane queues are declared (give the main queue's arguments: dead-lettering, queue type). Default `{ durable: true }`. */
  readonly laneQueue?: Options.AssertQueue;
}

/** A publisher that carries the gray context; made by {@link grayAmqpPublisher}. */
export interface GrayAmqpPublisher {
  /**
   * `channel.sendToQueue` with the current context's keys added to `options.headers` (a copy; a
   * key you set wins). With `lanes`, the message goes to the lane queue of its stage
   * (`<queue>.lane.<stage>`, declared on first use) when the registry's rules send it there.
   * Resolves to what `sendToQueue` returned (`false`: wait for the channel's `'drain'`).
   */
  sendToQueue(queue: string, content: Buffer, options?: Options.Publish): Promise<boolean>;
  /** `channel.publish` with the context's keys added to the headers. Carry only: exchanges are not routed by lane. */
  publish(exchange: string, routingKey: string, content: Buffer, options?: Options.Publish): boolean;
  /** The queue a message published now to `queue` would go to (the lane decision), for logs and tests. */
  laneOf(queue: string): string;
}

/**
 * Wraps an amqplib channel (or confirm channel) for publishing with the gray context.
 *
 * @throws GrayConfigError when `channel` is not an amqplib channel or `lanes` is malformed.
 */
export function grayAmqpPublisher(channel: AmqpChannelLike, options: GrayAmqpPublisherOptions = {}): GrayAmqpPublisher {
  if (typeof channel?.sendToQueue !== 'function' || typeof channel.publish !== 'function') {
    throw new GrayConfigError('graylane/amqp: grayAmqpPublisher(channel) needs an amqplib Channel or ConfirmChannel (connection.createChannel()).');
  }
  const policy = options.policy ?? defaultGrayPolicy();
  const laneOptions = requireLaneOptions(options.lanes, 'grayAmqpPublisher');
  const declarations = new LaneDeclarations(channel, options.laneQueue ?? DEFAULT_LANE_QUEUE);
  const perQueue = new Map<string, QueueLanes>();
  const lanesOf = (queue: string): QueueLanes => {
    let lanes = perQueue.get(queue);
    if (lanes === undefined) perQueue.set(queue, (lanes = new QueueLanes(laneOptions!, policy, queue, 'grayAmqpPublisher')));
    return lanes;
  };
  const withHeaders = (opts: Options.Publish | undefined): Options.Publish | undefined => {
    const ctx = getGrayContext();
    if (ctx === undefined) return opts;
    const headers = stampHeaders(opts?.headers as Record<string, unknown> | undefined, ctx);
    return headers === opts?.headers ? opts : { ...opts, headers };
  };
  const laneOf = (queue: string, opts?: Options.Publish): string => {
    if (laneOptions === undefined) return queue;
    const headers = (opts?.headers ?? undefined) as MessageHeaders | undefined;
    const stage = callStage(headers, messageHeadersGetter, policy, getGrayContext());
    return laneQueueName(queue, lanesOf(queue).laneFor(stage), policy.defaultStage);
  };
  return {
    async sendToQueue(queue, content, opts) {
      const target = laneOf(queue, opts);
      const final = withHeaders(opts);
      if (target !== queue) await declarations.ensure(target);
      return channel.sendToQueue(target, content, final);
    },
    publish(exchange, routingKey, content, opts) {
      return channel.publish(exchange, routingKey, content, withHeaders(opts));
    },
    laneOf: (queue) => laneOf(queue),
  };
}
