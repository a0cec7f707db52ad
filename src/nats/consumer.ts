/**
 * `grayNatsConsume`: consuming a JetStream durable pull consumer with each handler run inside its
 * message's gray context, acknowledged only after the handler finished; with `lanes`, the consumer
 * takes the lane durable of its stage, and default consumers also drain orphaned lanes.
 * @packageDocumentation
 */
import type { ConsumerConfig, ConsumerInfo, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from 'nats';
import type { GrayContext } from '../core/context.js';
import { GrayConfigError } from '../core/errors.js';
import { defaultGrayPolicy, type GrayPolicy } from '../core/policy.js';
import type { RollbackGuard } from '../observe/rollback-guard.js';
import { requireRegistryStage } from '../routing/validate.js';
import { consumerFeed, type GrayConsumerMetricsOptions } from '../queue/consumer-feed.js';
import { startLaneConsumer } from '../queue/lane-consumer.js';
import { QueueLanes, requireLaneOptions, type GrayLaneOptions } from '../queue/lanes.js';
import { headersFromEntries, messageGrayContext } from '../queue/message-carrier.js';
import { messageRunner } from '../queue/message-runner.js';
import { laneConsumerConfig, laneConsumerName, laneSubject, subjectMatches } from './lane-subject.js';

/** The `lanes` option of a consumer: the lane options plus the consumer's own stage. */
export interface GrayNatsConsumerLanes extends GrayLaneOptions {
  /** The stage of this consumer's code. Default: the policy's default stage (`'stable'`). */
  readonly stage?: string;
  /** The identifier announced in an etcd registry, shaped `host:port`. Default: one made from the pid and random bytes. */
  readonly address?: string;
}

/** What to do with a message whose handler threw (with `ack: 'auto'`). */
export type NatsFailureAction = 'nak' | 'term';

/** Options of {@link grayNatsConsume}. */
export interface GrayNatsConsumeOptions {
  /** Policy validating incoming headers (junk → default stage, reported through `onInvalid`). Default: the default policy. */
  readonly policy?: GrayPolicy;
  /**
   * Consume by lane, per the registry (see docs/queues.md). The main consumer must then filter on
   * one subject without wildcards (the queue's subject), and the stream capture `<subject>.lane.>`.
   * Default: none (the main consumer only).
   */
  readonly lanes?: GrayNatsConsumerLanes;
  /** Settings of the lane durables graylane creates, over those copied from the main consumer (`ack_wait`, `max_deliver`, `backoff`, `max_ack_pending`, ...). Default: none. */
  readonly laneConsumer?: Partial<ConsumerConfig>;
  /**
   * `'auto'` (default): `ack()` when the handler's promise resolves, per `onFailure` when it
   * rejects. `'manual'`: you ack / nak / term yourself (later, in a batch); graylane never does.
   */
  readonly ack?: 'auto' | 'manual';
  /**
   * With `ack: 'auto'`, a failed handler's message is: `'nak'` (default) handed back for redelivery —
   * JetStream's own rules then apply: the consumer's `backoff`, and `max_deliver` after which the
   * server stops delivering it and publishes a `MAX_DELIVERIES` advisory; `'term'` terminated at once.
   */
  readonly onFailure?: NatsFailureAction;
  /** Called with every error a handler threw or rejected with (errors of the hook are ignored). Default: none. */
  readonly onHandlerError?: (error: unknown, message: JsMsg) => void;
  /** Messages each lane's subscription keeps pulled ahead (`consume({ max_messages })`). Default: 100 (nats.js's). */
  readonly maxMessages?: number;
  /** Per-stage metrics of consumed messages (prom-client). Default: none. */
  readonly metrics?: GrayConsumerMetricsOptions;
  /** A rollback guard fed with every handled message of its stage (failed: the handler threw). Default: none. */
  readonly guard?: RollbackGuard;
}

/** The handler of {@link grayNatsConsume}: runs inside the message's gray context, which is also passed in. */
export type GrayNatsHandler = (message: JsMsg, ctx: GrayContext) => unknown;

/** A running consumer made by {@link grayNatsConsume}. */
export interface GrayNatsConsumer {
  /** The durable consumers taken right now (the main one or the own lane's, plus any drained lanes). */
  readonly consumers: readonly string[];
  /** The stage of this consumer. */
  readonly stage: string;
  /** Resolves once the lanes match the registry's current state (after a change, for tests and startup). */
  settled(): Promise<void>;
  /** Stops every subscription, leaves the registry. Messages being handled still finish and are acked. Idempotent. */
  close(): Promise<void>;
}

const isMissing = (e: unknown): boolean => /not found/i.test(String((e as Error | undefined)?.message));

async function mainConsumer(jsm: JetStreamManager, stream: string, name: string): Promise<ConsumerInfo> {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (e) {
    if (isMissing(e)) throw new GrayConfigError(`graylane/nats: grayNatsConsume: no durable consumer ${JSON.stringify(name)} on stream ${JSON.stringify(stream)}; create it first (jsm.consumers.add(stream, { durable_name, ack_policy: AckPolicy.Explicit, filter_subject })).`);
    throw e;
  }
}

/** Throws `GrayConfigError` unless the main consumer and its stream can carry lanes. */
async function requireLaneObjects(jsm: JetStreamManager, stream: string, info: ConsumerInfo, stages: readonly string[]): Promise<string> {
  const filter = info.config.filter_subject;
  if (typeof filter !== 'string' || filter === '' || /[*>]/.test(filter) || (info.config.filter_subjects?.length ?? 0) > 0) {
    throw new GrayConfigError(`graylane/nats: grayNatsConsume: lanes need the consumer ${JSON.stringify(info.name)} to filter on one subject without wildcards (filter_subject: 'orders.events'); lane messages are on '<subject>.lane.<stage>'.`);
  }
  const subjects = (await jsm.streams.info(stream)).config.subjects ?? [];
  for (const stage of stages) {
    const lane = laneSubject(filter, stage, '');
    if (!subjects.some((p) => subjectMatches(p, lane))) {
      throw new GrayConfigError(`graylane/nats: grayNatsConsume: stream ${JSON.stringify(stream)} does not capture the lane subject ${JSON.stringify(lane)}; add '${filter}.lane.>' to its subjects.`);
    }
  }
  return filter;
}

/**
 * Starts consuming the durable pull consumer `consumer` of `stream` (create both yourself, with
 * `ack_policy: explicit`) with `handler` run inside each message's gray context.
 *
 * @throws GrayConfigError (the promise rejects) for a bad client, handler, option or broker object.
 */
export async function grayNatsConsume(js: JetStreamClient, stream: string, consumer: string, handler: GrayNatsHandler, options: GrayNatsConsumeOptions = {}): Promise<GrayNatsConsumer> {
  if (typeof js?.consumers?.get !== 'function' || typeof js.jetstreamManager !== 'function') throw new GrayConfigError('graylane/nats: grayNatsConsume(js, ...) needs a JetStream client (nc.jetstream()).');
  if (typeof stream !== 'string' || stream === '' || typeof consumer !== 'string' || consumer === '') throw new GrayConfigError('graylane/nats: grayNatsConsume needs a stream and a durable consumer name.');
  if (typeof handler !== 'function') throw new GrayConfigError('graylane/nats: grayNatsConsume needs a handler function.');
  const ack = options.ack ?? 'auto';
  const onFailure = options.onFailure ?? 'nak';
  if (ack !== 'auto' && ack !== 'manual') throw new GrayConfigError("graylane/nats: ack must be 'auto' or 'manual'.");
  if (onFailure !== 'nak' && onFailure !== 'term') throw new GrayConfigError("graylane/nats: onFailure must be 'nak' or 'term'.");
  const maxMessages = options.maxMessages;
  if (maxMessages !== undefined && !(Number.isInteger(maxMessages) && maxMessages > 0)) throw new GrayConfigError('graylane/nats: maxMessages must be a positive integer.');
  const policy = options.policy ?? defaultGrayPolicy();
  const lanesOption = requireLaneOptions(options.lanes, 'grayNatsConsume');
  const stage = lanesOption?.stage === undefined ? policy.defaultStage : requireRegistryStage(lanesOption.stage, 'grayNatsConsume: lanes.stage');
  const feed = consumerFeed('nats', policy, options.metrics, options.guard, 'grayNatsConsume');

  const jsm = await js.jetstreamManager();
  const main = await mainConsumer(jsm, stream, consumer);
  if (main.config.deliver_subject) throw new GrayConfigError(`graylane/nats: grayNatsConsume: ${JSON.stringify(consumer)} is a push consumer; use a pull consumer (no deliver_subject).`);
  if (main.config.ack_policy !== 'explicit') throw new GrayConfigError(`graylane/nats: grayNatsConsume: ${JSON.stringify(consumer)} must have ack_policy 'explicit' (nothing is acked before its handler finished).`);
  let lanes: QueueLanes | undefined;
  let subject = '';
  if (lanesOption !== undefined) {
    const listed = [...new Set([stage, ...(lanesOption.stages ?? policy.stages ?? [])])].filter((s) => s !== policy.defaultStage);
    subject = await requireLaneObjects(jsm, stream, main, listed);
    lanes = new QueueLanes(lanesOption, policy, subject, 'grayNatsConsume');
  }

  const run = messageRunner<JsMsg>({
    handler,
    queue: consumer,
    feed,
    onError: options.onHandlerError,
    settle(msg, ok) {
      if (ack === 'manual') return;
      if (ok) msg.ack();
      else if (onFailure === 'term') msg.term();
      else msg.nak();
    },
  });
  const callback = (msg: JsMsg): void => run(msg, messageGrayContext(msg.headers === undefined ? undefined : headersFromEntries(msg.headers), policy));

  const nameOf = (s: string): string => laneConsumerName(consumer, s, policy.defaultStage);
  const ensured = new Map<string, Promise<unknown>>();
  const ensureLane = (s: string): Promise<unknown> => {
    const name = nameOf(s);
    let p = ensured.get(name);
    if (p === undefined) {
      const config = laneConsumerConfig(main.config, options.laneConsumer, name, laneSubject(subject, s, policy.defaultStage));
      p = jsm.consumers.info(stream, name).catch((e: unknown) => {
        if (!isMissing(e)) throw e;
        // Another process may create it at the same moment: then read theirs.
        return jsm.consumers.add(stream, config).catch(() => jsm.consumers.info(stream, name));
      });
      p.catch(() => ensured.delete(name));
      ensured.set(name, p);
    }
    return p;
  };
  const running = await startLaneConsumer<ConsumerMessages>({
    async start(s) {
      if (s !== policy.defaultStage) await ensureLane(s);
      const c = await js.consumers.get(stream, nameOf(s));
      return c.consume(maxMessages === undefined ? { callback } : { callback, max_messages: maxMessages });
    },
    async stop(messages) {
      await messages.close();
    },
  }, stage, lanes, lanesOption?.address);
  return {
    stage,
    get consumers() {
      return running.stages().map(nameOf);
    },
    settled: () => running.settled(),
    close: () => running.close(),
  };
}
