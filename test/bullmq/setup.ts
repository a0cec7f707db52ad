/** Shared set-up of the graylane/bullmq tests: a Redis, a unique key prefix per run, queues and their cleanup. */
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis, uniqueName, type Broker } from '../helpers/brokers.js';

/** A real Redis, isolated by a key prefix unique to this run. */
export interface BullFixture {
  readonly broker: Broker;
  readonly connection: ConnectionOptions;
  readonly prefix: string;
  /** A fresh queue (its name unique too). */
  queue(): Queue;
  close(): Promise<void>;
}

export async function bullFixture(): Promise<BullFixture> {
  const broker = await startRedis();
  const connection: ConnectionOptions = { host: broker.host, port: broker.port, maxRetriesPerRequest: null };
  const prefix = uniqueName('bull');
  const queues: Queue[] = [];
  return {
    broker,
    connection,
    prefix,
    queue() {
      const q = new Queue(uniqueName('q'), { connection, prefix });
      queues.push(q);
      return q;
    },
    async close() {
      for (const q of queues) await q.close();
      // Remove every key of this run (lane queues included).
      const redis = new Redis({ host: broker.host, port: broker.port });
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
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
