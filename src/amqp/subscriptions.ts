/**
 * The set of queues one graylane consumer takes messages from, reconciled with what the lane rules
 * want (start a consumer on a lane that opened, cancel it on a lane that closed), one change at a time.
 * @packageDocumentation
 */
import type { ConsumeMessage, Options } from 'amqplib';
import type { AmqpChannelLike, LaneDeclarations } from './lane-queue.js';

/** Consumers by queue name, kept equal to the wanted list. Internal. */
export class LaneSubscriptions {
  private readonly tags = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly channel: AmqpChannelLike,
    private readonly onMessage: (msg: ConsumeMessage | null) => void,
    private readonly options: Options.Consume,
    private readonly declarations: LaneDeclarations,
  ) {}

  /** Queues consumed now. */
  active(): string[] {
    return [...this.tags.keys()];
  }

  /** Resolves after every reconciliation asked for so far. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Queues `wanted` consumed, others cancelled. Queues not in `userOwned` are declared first. Never rejects. */
  reconcile(wanted: readonly string[], userOwned: ReadonlySet<string>): Promise<void> {
    this.chain = this.chain.then(() => this.apply(wanted, userOwned)).catch(() => undefined);
    return this.chain;
  }

  private async apply(wanted: readonly string[], userOwned: ReadonlySet<string>): Promise<void> {
    if (this.closed) return;
    const want = new Set(wanted);
    for (const [queue, tag] of [...this.tags]) {
      if (want.has(queue)) continue;
      this.tags.delete(queue);
      await this.channel.cancel(tag);
    }
    for (const queue of want) {
      if (this.tags.has(queue)) continue;
      if (!userOwned.has(queue)) await this.declarations.ensure(queue);
      const { consumerTag } = await this.channel.consume(queue, this.onMessage, this.options);
      this.tags.set(queue, consumerTag);
    }
  }

  /** Cancels every consumer (unacked messages stay with the channel and are acked when their handlers finish). */
  async close(): Promise<void> {
    await this.chain;
    this.closed = true;
    for (const tag of this.tags.values()) await this.channel.cancel(tag).catch(() => undefined);
    this.tags.clear();
  }
}
