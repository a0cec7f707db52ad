/**
 * A consumer's set of lanes, shared by every queue adapter: which lanes it takes now (its own while
 * open; a default consumer also every orphaned lane), kept equal to the registry's view one change at
 * a time, announced in the registry, and closed in the right order (leave the registry, then stop).
 * The adapter says how to start and stop taking one lane on its broker.
 * @packageDocumentation
 */
import type { LaneAnnouncement, QueueLanes } from './lanes.js';

/** How an adapter takes messages from the lane of one stage (the default stage's lane is the main queue). Internal. */
export interface LaneSource<T> {
  /** Starts taking messages from the lane of `stage` (creating its broker objects if the adapter does). */
  start(stage: string): Promise<T>;
  /** Stops taking messages from it; messages being handled still finish and are settled. */
  stop(subscription: T, stage: string): Promise<void>;
}

/** A running set of lanes. Internal: each adapter wraps it in its public consumer. */
export interface LaneConsumer {
  /** The stage of the consumer. */
  readonly stage: string;
  /** The stages whose lanes are consumed now. */
  stages(): string[];
  /** Resolves once the lanes match the registry's state as of the last change seen. */
  settled(): Promise<void>;
  /** Leaves the registry, then stops every lane. Idempotent. */
  close(): Promise<void>;
}

/** The stages whose lanes a consumer of `stage` takes now. */
function wantedStages(lanes: QueueLanes, stage: string): string[] {
  const list = lanes.open(stage) ? [stage] : [];
  if (stage === lanes.policy.defaultStage) list.push(...lanes.drained());
  return list;
}

/** Subscriptions by stage, reconciled with the wanted list one change at a time. */
class Subscriptions<T> {
  private readonly active = new Map<string, T>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly source: LaneSource<T>) {}

  stages(): string[] {
    return [...this.active.keys()];
  }

  settled(): Promise<void> {
    return this.chain;
  }

  /** Never rejects: a lane that failed to start is retried on the next change. */
  reconcile(wanted: () => readonly string[]): Promise<void> {
    this.chain = this.chain.then(() => this.apply(wanted())).catch(() => undefined);
    return this.chain;
  }

  /** The first reconciliation: rejects with the broker's error (missing objects surface at construction). */
  async first(wanted: () => readonly string[]): Promise<void> {
    const run = this.chain.then(() => this.apply(wanted()));
    this.chain = run.catch(() => undefined);
    await run;
  }

  private async apply(wanted: readonly string[]): Promise<void> {
    if (this.closed) return;
    const want = new Set(wanted);
    for (const [stage, sub] of [...this.active]) {
      if (want.has(stage)) continue;
      // Listed until the broker confirmed the stop: `stages()` says what is consumed now, and a
      // lane being left is still consumed until then.
      try {
        await this.source.stop(sub, stage);
      } finally {
        this.active.delete(stage);
      }
    }
    for (const stage of want) {
      if (!this.active.has(stage)) this.active.set(stage, await this.source.start(stage));
    }
  }

  async close(): Promise<void> {
    await this.chain;
    this.closed = true;
    for (const [stage, sub] of this.active) await this.source.stop(sub, stage).catch(() => undefined);
    this.active.clear();
  }
}

/**
 * Starts a consumer of `stage`: without `lanes`, the main queue only; with them, the lanes the
 * registry's rules give it, followed on every change, and (etcd) an announcement under a lease.
 * The first start's errors reject (bad broker objects surface at construction). Internal.
 */
export async function startLaneConsumer<T>(source: LaneSource<T>, stage: string, lanes: QueueLanes | undefined, address: string | undefined): Promise<LaneConsumer> {
  const subs = new Subscriptions(source);
  let stop: (() => void) | undefined;
  let announcement: LaneAnnouncement | undefined;
  const wanted = lanes === undefined ? () => [stage] : () => wantedStages(lanes, stage);
  try {
    if (lanes !== undefined) stop = lanes.watch(() => void subs.reconcile(wanted));
    await subs.first(wanted);
    if (lanes !== undefined) announcement = await lanes.announce(stage, address);
  } catch (e) {
    stop?.();
    await subs.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    stage,
    stages: () => subs.stages(),
    settled: () => subs.settled(),
    close() {
      closing ??= (async () => {
        stop?.();
        // Leave the registry first, so publishers stop routing here, then stop taking messages.
        await announcement?.close().catch(() => undefined);
        await subs.close();
      })();
      return closing;
    },
  };
}
