/** Shared set-up of the graylane/nats tests: a connection, and fresh streams + durable pull consumers per test. */
import { AckPolicy, RetentionPolicy, connect, nanos, type ConsumerConfig, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { startNats, uniqueName, type Broker } from '../helpers/brokers.js';

/** A connection to a real NATS with JetStream and cleanup of the streams made through it. */
export interface NatsFixture {
  readonly broker: Broker;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** A fresh work-queue stream capturing `<subject>` and `<subject>.lane.>`, and a durable pull consumer filtering `<subject>`. */
  queue(config?: Partial<ConsumerConfig>): Promise<{ stream: string; subject: string; consumer: string }>;
  close(): Promise<void>;
}

export async function natsFixture(url?: string): Promise<NatsFixture> {
  const broker = url === undefined ? await startNats() : { url, host: '127.0.0.1', port: 0, close: async () => undefined };
  const nc = await connect({ servers: broker.url });
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const streams: string[] = [];
  return {
    broker,
    nc,
    js,
    jsm,
    async queue(config = {}) {
      const stream = uniqueName('nats');
      const subject = `${stream}.events`;
      await jsm.streams.add({ name: stream, subjects: [subject, `${subject}.lane.>`], retention: RetentionPolicy.Workqueue });
      streams.push(stream);
      const consumer = 'workers';
      await jsm.consumers.add(stream, { durable_name: consumer, ack_policy: AckPolicy.Explicit, filter_subject: subject, ack_wait: nanos(5_000), ...config });
      return { stream, subject, consumer };
    },
    async close() {
      for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
      await nc.close();
      await broker.close();
    },
  };
}

export function waitFor(check: () => boolean, ms = 10_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}
