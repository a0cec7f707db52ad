/**
 * `grayAmqpConsume`: consuming from RabbitMQ with each handler run inside its message's gray
 * context, acknowledged only after the handler finished; with `lanes`, the consumer takes the
 * lane of its stage, and default consumers also drain orphaned lanes.
 * @packageDocumentation
 */
import type { ConsumeMessage, Options } from 'amqplib';
import type { GrayContext } from '../core/context.js';
import { GrayConfigError } from '../core/errors.js';
import { defaultGrayPolicy, type GrayPolicy } from '../core/policy.js';
import type { RollbackGuard } from '../observe/rollback-guard.js';
import { consumerFeed, type GrayConsumerMetricsOptions } from '../queue/consumer-feed.js';
import { startLaneConsumer } from '../queue/lane-consumer.js';
import { QueueLanes, requireLaneOptions, type GrayLaneOptions } from '../queue/lanes.js';
import { messageGrayContext } from '../queue/message-carrier.js';
import { messageRunner } from '../queue/message-runner.js';
import { requireRegistryStage } from '../routing/validate.js';
import { DEFAULT_LANE_QUEUE, LaneDeclarations, laneQueueName, type AmqpChannelLike } from './lane-queue.js';

/** The `lanes` option of a consumer: the lane options plus the consumer's own stage. */
export interface GrayAmqpConsumerLanes extends GrayLaneOptions {
  /** The stage of this consumer's code. Default: the policy's default stage (`'stable'`). */
  readonly stage?: string;
  /** The identifier announced in an etcd registry, shaped `host:port`. Default: one made from the pid and random bytes. */
  readonly address?: string;
}

/** What to do with a message whose handler threw (with `ack: 'auto'`). */
export type AmqpFailureAction = 'requeue-once' | 'requeue' | 'reject';

/** Options of {@link grayAmqpConsume}. */
export interface GrayAmqpConsumeOptions {
  /** Policy validating incoming headers (junk → default stage, reported through `onInvalid`). Default: the default policy. */
  readonly policy?: GrayPolicy;
  /** Consume by lane, per the registry (see docs/queues.md). Default: none (one consumer on `queue`). */
  readonly lanes?: GrayAmqpConsumerLanes;
  /** How lane queues are declared (give the main queue's arguments). Default `{ durable: true }`. */
  readonly laneQueue?: Options.AssertQueue;
  /**
   * `'auto'` (default): ack when the handler's promise resolves, nack per `onFailure` when it
   * rejects. `'manual'`: you ack / nack yourself (later, in a batch); graylane never does.
   */
  readonly ack?: 'auto' | 'manual';
  /**
   * With `ack: 'auto'`, a failed handler's message is: `'requeue-once'` (default) requeued the first
   * time and rejected (dead-lettered if the queue has a dead-letter exchange, else dropped by
   * RabbitMQ) when it fails again; `'requeue'` always requeued; `'reject'` rejected at once.
   */
  readonly onFailure?: AmqpFailureAction;
  /** Called with every error a handler threw or rejected with (errors of the hook are ignored). Default: none. */
  readonly onHandlerError?: (error: unknown, message: ConsumeMessage) => void;
  /** Options passed to `channel.consume` (`noAck` is refused: nothing is acked before its handler finished). Default `{}`. */
  readonly consume?: Omit<Options.Consume, 'noAck' | 'consumerTag'>;
  /** Per-stage metrics of consumed messages (prom-client). Default: none. */
  readonly metrics?: GrayConsumerMetricsOptions;
  /** A rollback guard fed with every handled message of its stage (failed: the handler threw). Default: none. */
  readonly guard?: RollbackGuard;
}

/** The handler of {@link grayAmqpConsume}: runs inside the message's gray context, which is also passed in. */
export type GrayAmqpHandler = (message: ConsumeMessage, ctx: GrayContext) => unknown;

/** A running consumer made by {@link grayAmqpConsume}. */
export interface GrayAmqpConsumer {
  /** The queues consumed right now (the main queue or own lane, plus any drained lanes). */
  readonly queues: readonly string[];
  /** The stage of this consumer. */
  readonly stage: string;
  /** Resolves once the lanes match the registry's current state (after a change, for tests and startup). */
  settled(): Promise<void>;
  /** Cancels every consumer, leaves the registry. Messages being handled still finish and are acked. Idempotent. */
  close(): Promise<void>;
}

function requireChannel(channel: AmqpChannelLike): void {
  if (typeof channel?.consume !== 'function' || typeof channel.ack !== 'function' || typeof channel.cancel !== 'function') {
    throw new GrayConfigError('graylane/amqp: grayAmqpConsume(channel, ...) needs an amqplib Channel (connection.createChannel()).');
  }
}

/**
 * Starts consuming `queue` (declare it yourself) with `handler` run inside each message's gray context.
 *
 * @throws GrayConfigError (the promise rejects) for a bad channel, handler or option.
 */
export async function grayAmqpConsume(channel: AmqpChannelLike, queue: string, handler: GrayAmqpHandler, options: GrayAmqpConsumeOptions = {}): Promise<GrayAmqpConsumer> {
  requireChannel(channel);
  if (typeof queue !== 'string' || queue === '') throw new GrayConfigError('graylane/amqp: grayAmqpConsume needs a queue name.');
  if (typeof handler !== 'function') throw new GrayConfigError('graylane/amqp: grayAmqpConsume needs a handler function.');
  if ((options.consume as Options.Consume | undefined)?.noAck === true) throw new GrayConfigError('graylane/amqp: consume.noAck is refused: messages are acked after their handler finished.');
  const ack = options.ack ?? 'auto';
  const onFailure = options.onFailure ?? 'requeue-once';
  if (ack !== 'auto' && ack !== 'manual') throw new GrayConfigError("graylane/amqp: ack must be 'auto' or 'manual'.");
  if (onFailure !== 'requeue-once' && onFailure !== 'requeue' && onFailure !== 'reject') throw new GrayConfigError("graylane/amqp: onFailure must be 'requeue-once', 'requeue' or 'reject'.");
  const policy = options.policy ?? defaultGrayPolicy();
  const lanesOption = requireLaneOptions(options.lanes, 'grayAmqpConsume');
  const stage = lanesOption?.stage === undefined ? policy.defaultStage : requireRegistryStage(lanesOption.stage, 'grayAmqpConsume: lanes.stage');
  const feed = consumerFeed('rabbitmq', policy, options.metrics, options.guard, 'grayAmqpConsume');
  const run = messageRunner<ConsumeMessage>({
    handler,
    queue,
    feed,
    onError: options.onHandlerError,
    settle(msg, ok) {
      if (ack === 'manual') return;
      if (ok) channel.ack(msg);
      else channel.nack(msg, false, onFailure === 'requeue' || (onFailure === 'requeue-once' && !msg.fields.redelivered));
    },
  });
  const onMessage = (msg: ConsumeMessage | null): void => {
    if (msg === null) return; // cancelled by the broker (queue deleted); the lanes notice on the next change
    run(msg, messageGrayContext(msg.properties.headers, policy));
  };

  const consumeOptions = { ...options.consume };
  const declarations = new LaneDeclarations(channel, options.laneQueue ?? DEFAULT_LANE_QUEUE);
  const nameOf = (s: string): string => laneQueueName(queue, s, policy.defaultStage);
  const lanes = lanesOption === undefined ? undefined : new QueueLanes(lanesOption, policy, queue, 'grayAmqpConsume');
  const consumer = await startLaneConsumer<string>({
    async start(s) {
      // The main queue is the user's to declare; lane queues are graylane's.
      if (s !== policy.defaultStage) await declarations.ensure(nameOf(s));
      return (await channel.consume(nameOf(s), onMessage, consumeOptions)).consumerTag;
    },
    async stop(tag) {
      await channel.cancel(tag);
    },
  }, stage, lanes, lanesOption?.address);
  return {
    stage,
    get queues() {
      return consumer.stages().map(nameOf);
    },
    settled: () => consumer.settled(),
    close: () => consumer.close(),
  };
}
