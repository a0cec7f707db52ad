// The demo's queue hop: orders publishes an "order placed" event through graylane/amqp (RabbitMQ),
// a worker consumes it — a stable consumer and a canary consumer, lanes read from the shop's
// registry — and records which stage handled each event. Optional: without a broker answering on
// 127.0.0.1:5672 (guest/guest) the hop is skipped with one line, never failing the demo.
// GRAYLANE_DEMO_AMQP_URL points it at another broker (the e2e test uses a closed port for the skip).
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { getReleaseStage } from 'graylane';
import { grayAmqpConsume, grayAmqpPublisher, type GrayAmqpConsumer, type GrayAmqpPublisher } from 'graylane/amqp';
import type { GrayRegistry } from 'graylane/routing';
import { CLASSES, headersFor, order } from './traffic.js';

export const BROKER_URL = 'amqp://guest:guest@127.0.0.1:5672';
/** The one line the demo prints when no broker answers at `broker` (`host:port`). */
export const skippedLine = (broker: string): string => `queue hop skipped: no RabbitMQ at ${broker} — start one to see lanes through a queue`;
/** The queue's service in the registry: its consumers are instances of it. */
export const QUEUE_SERVICE = 'orders-events';

/** What the demo reports about the hop (`queue` in the JSON summary). */
export type QueueReport =
  | Skipped
  | {
    skipped?: false;
    queue: string;
    published: number;
    consumed: number;
    /** Published events never consumed (after a bounded wait). */
    lost: number;
    /** Events consumed by a consumer of another stage than the event's (a live consumer of each stage exists). */
    misrouted: number;
    /** Events whose handler ran in another stage than orders published them in. */
    tagsLost: number;
    /** Deliveries of an event already handled (RabbitMQ redeliveries; not an error). */
    redelivered: number;
    publishErrors: number;
    /** `${class}|${consumerStage}` → count */
    perClass: Record<string, number>;
    /** The hop of one traced canary request: orders → queue → worker. */
    trace?: { publishedStage: string; lane: string; consumer: string; consumerStage: string; handlerStage: string };
  };

/** The hop did not run: no broker answered at `broker`. */
export interface Skipped { skipped: true; broker: string; reason: string }

interface Event { id: string; label: string; stage: string; lane: string }
interface Handled { label: string; stage: string; consumerStage: string; handlerStage: string; consumer: string }

/** A connected queue hop (or the reason it is skipped). */
export interface QueueHop {
  /** Passed to the shop: orders calls it inside each PlaceOrder, in the request's gray context. */
  onOrderPlaced(order: { orderId: string }): Promise<void>;
  /** Starts the worker (after the shop registered its instances) with lanes read from `registry`. */
  start(registry: GrayRegistry): Promise<void>;
  /** Publishes events for the orders sent while `label` is set (a request class; undefined: none). */
  label: string | undefined;
  /** Waits (bounded) for every published event to be consumed and returns the facts. */
  report(): Promise<QueueReport>;
  stop(): Promise<void>;
}

/** Connects to RabbitMQ; resolves to a skipped report (with its reason) when none answers. */
export async function connectQueueHop(): Promise<QueueHop | Skipped> {
  const url = process.env.GRAYLANE_DEMO_AMQP_URL || BROKER_URL;
  const broker = new URL(url).host;
  let conn: ChannelModel;
  try {
    conn = await amqp.connect(url, { timeout: 2_000 });
  } catch (err) {
    return { skipped: true, broker, reason: `no RabbitMQ at ${broker} (${err instanceof Error ? err.message || err.name : String(err)})` };
  }
  conn.on('error', () => { /* reported through the facts (lost events) */ });
  const queue = `graylane-demo.orders-events.${process.pid}.${randomBytes(3).toString('hex')}`;
  // Nothing outlives the run: queues expire a minute after their last use.
  const declare = { durable: false, arguments: { 'x-expires': 60_000 } };
  const pubChannel: Channel = await conn.createChannel();
  await pubChannel.assertQueue(queue, declare);
  const channels: Channel[] = [pubChannel];
  const consumers: GrayAmqpConsumer[] = [];
  let publisher: GrayAmqpPublisher | undefined;
  const events = new Map<string, Event>();
  const handled = new Map<string, Handled>();
  let redelivered = 0;
  let publishErrors = 0;
  let seq = 0;
  let trace: Extract<QueueReport, { queue: string }>['trace'];
  let traceId: string | undefined;

  const hop: QueueHop = {
    label: undefined,
    async onOrderPlaced() {
      const label = hop.label;
      if (publisher === undefined || label === undefined) return;
      const id = `e-${++seq}`;
      const lane = publisher.laneOf(queue);
      events.set(id, { id, label, stage: getReleaseStage(), lane });
      if (label === 'trace') traceId = id;
      try {
        await publisher.sendToQueue(queue, Buffer.from(JSON.stringify({ id, label, stage: getReleaseStage() })));
      } catch {
        publishErrors++;
      }
    },
    async start(registry) {
      const service = QUEUE_SERVICE;
      // A file registry lists consumers by hand (no leases); etcd consumers announce themselves.
      const path = (registry as { path?: unknown }).path;
      if (typeof path === 'string') {
        const doc = JSON.parse(readFileSync(path, 'utf8')) as { instances: unknown[] };
        doc.instances.push(
          { service, address: 'queue-worker-1.consumer:1', stage: 'stable', meta: { kind: 'queue-consumer' } },
          { service, address: 'queue-worker-canary.consumer:1', stage: 'canary', meta: { kind: 'queue-consumer' } },
        );
        writeFileSync(path, JSON.stringify(doc, null, 2));
        await (registry as { reload?: () => Promise<unknown> }).reload?.();
      }
      const worker = (name: string, stage: string) => async (msg: amqp.ConsumeMessage) => {
        const body = JSON.parse(msg.content.toString()) as { id: string; label: string; stage: string };
        if (handled.has(body.id)) return void redelivered++;
        handled.set(body.id, { label: body.label, stage: body.stage, consumerStage: stage, handlerStage: getReleaseStage(), consumer: name });
      };
      for (const [name, stage] of [['worker-1', 'stable'], ['worker-canary', 'canary']] as const) {
        const ch = await conn.createChannel();
        channels.push(ch);
        await ch.prefetch(32);
        const lanes = stage === 'stable' ? { registry, service, stages: ['canary'] } : { registry, service, stage };
        consumers.push(await grayAmqpConsume(ch, queue, worker(name, stage), { lanes, laneQueue: declare }));
      }
      await Promise.all(consumers.map((c) => c.settled()));
      // The publisher routes by what the registry shows: wait (bounded) until the canary consumer is visible.
      for (let i = 0; i < 100 && !registry.getService(service).instances.some((x) => x.stage === 'canary'); i++) {
        await new Promise((ok) => setTimeout(ok, 20));
      }
      publisher = grayAmqpPublisher(pubChannel, { lanes: { registry, service }, laneQueue: declare });
    },
    async report() {
      for (let i = 0; i < 200 && handled.size < events.size - publishErrors; i++) await new Promise((ok) => setTimeout(ok, 25));
      const perClass: Record<string, number> = Object.create(null);
      let misrouted = 0;
      let tagsLost = 0;
      for (const h of handled.values()) {
        if (h.consumerStage !== h.stage) misrouted++;
        if (h.handlerStage !== h.stage) tagsLost++;
        if (h.label === 'trace') continue;
        const key = `${h.label}|${h.consumerStage}`;
        perClass[key] = (perClass[key] ?? 0) + 1;
      }
      const t = traceId === undefined ? undefined : handled.get(traceId);
      const e = traceId === undefined ? undefined : events.get(traceId);
      if (t !== undefined && e !== undefined) {
        trace = { publishedStage: e.stage, lane: e.lane, consumer: t.consumer, consumerStage: t.consumerStage, handlerStage: t.handlerStage };
      }
      return {
        queue,
        published: events.size - publishErrors,
        consumed: handled.size,
        lost: events.size - publishErrors - handled.size,
        misrouted,
        tagsLost,
        redelivered,
        publishErrors,
        perClass: { ...perClass },
        ...(trace === undefined ? {} : { trace }),
      };
    },
    async stop() {
      publisher = undefined;
      await Promise.allSettled(consumers.map((c) => c.close()));
      await Promise.allSettled([queue, `${queue}.lane.canary`].map((q) => pubChannel.deleteQueue(q)));
      await conn.close().catch(() => undefined);
    },
  };
  return hop;
}

/** Orders sent per request class through the hop. */
export const QUEUE_ORDERS_PER_CLASS = 20;

/**
 * Sends {@link QUEUE_ORDERS_PER_CLASS} orders of each class (one class at a time, so each event is
 * labelled with its class) plus one traced canary order, and returns the hop's facts.
 */
export async function runQueueHop(hop: QueueHop | Skipped, gatewayUrl: string): Promise<QueueReport> {
  if (!('onOrderPlaced' in hop)) return hop;
  for (const cls of CLASSES) {
    hop.label = cls;
    for (let i = 0; i < QUEUE_ORDERS_PER_CLASS; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, QUEUE_ORDERS_PER_CLASS - i) }, (_, k) => order(gatewayUrl, headersFor(cls, 10_000 + i + k))));
    }
  }
  hop.label = 'trace';
  await order(gatewayUrl, headersFor('qa-canary', 0));
  hop.label = undefined;
  return hop.report();
}

/** The hop passed: skipped (no broker), or every event consumed once by its own stage with its tag. */
export function queueHopOk(r: QueueReport): boolean {
  return r.skipped === true || (r.published > 0 && r.lost === 0 && r.misrouted === 0 && r.tagsLost === 0 && r.publishErrors === 0);
}
