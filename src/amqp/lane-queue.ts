/**
 * RabbitMQ broker objects of the lanes: one queue per non-default stage beside the main queue,
 * named `<queue>.lane.<stage>`, declared with the options you give (`laneQueue`).
 * @packageDocumentation
 */
import type { Options } from 'amqplib';

/** The channel methods graylane/amqp uses (an amqplib `Channel` or `ConfirmChannel`). */
export interface AmqpChannelLike {
  /** amqplib `assertQueue`. */
  assertQueue(queue: string, options?: Options.AssertQueue): Promise<unknown>;
  /** amqplib `sendToQueue`. */
  sendToQueue(queue: string, content: Buffer, options?: Options.Publish): boolean;
  /** amqplib `publish`. */
  publish(exchange: string, routingKey: string, content: Buffer, options?: Options.Publish): boolean;
  /** amqplib `consume`. */
  consume(queue: string, onMessage: (msg: import('amqplib').ConsumeMessage | null) => void, options?: Options.Consume): Promise<{ consumerTag: string }>;
  /** amqplib `cancel`. */
  cancel(consumerTag: string): Promise<unknown>;
  /** amqplib `ack`. */
  ack(message: import('amqplib').Message, allUpTo?: boolean): void;
  /** amqplib `nack`. */
  nack(message: import('amqplib').Message, allUpTo?: boolean, requeue?: boolean): void;
}

/** Default declaration of lane queues: `{ durable: true }`. */
export const DEFAULT_LANE_QUEUE: Options.AssertQueue = Object.freeze({ durable: true });

/**
 * The name of the lane queue of `stage` for `queue`: `<queue>.lane.<stage>` (the default stage's
 * lane is `queue` itself). RabbitMQ limits queue names to 255 bytes: keep queue names under 184
 * characters so every stage (at most 64) fits.
 */
export function laneQueueName(queue: string, stage: string, defaultStage = 'stable'): string {
  return stage === defaultStage ? queue : `${queue}.lane.${stage}`;
}

/** Declares each lane queue once per channel (declaring is idempotent; this saves the round trip). Internal. */
export class LaneDeclarations {
  private readonly done = new Map<string, Promise<unknown>>();
  constructor(private readonly channel: AmqpChannelLike, private readonly options: Options.AssertQueue) {}

  ensure(name: string): Promise<unknown> {
    let p = this.done.get(name);
    if (p === undefined) {
      p = this.channel.assertQueue(name, this.options);
      p.catch(() => this.done.delete(name));
      this.done.set(name, p);
    }
    return p;
  }
}
