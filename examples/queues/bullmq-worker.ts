/**
 * A BullMQ producer and worker with graylane/bullmq: the producer runs inside a request's gray
 * context (here: runWithStage), the worker's processor runs inside each job's context (carried in
 * `job.opts.graylane`), and with `lanes` a canary worker takes only canary jobs while the registry
 * says it is live.
 * Run: a Redis on 127.0.0.1:6379 and an etcd on 127.0.0.1:2379, then `npx tsx examples/queues/bullmq-worker.ts`.
 */
import { Queue } from 'bullmq';
import { getReleaseStage, runWithStage } from 'graylane';
import { grayBullmqProducer, grayBullmqWorker } from 'graylane/bullmq';
import { createEtcdRegistry } from 'graylane/routing';

const QUEUE = 'orders';
const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };

export async function main(): Promise<void> {
  const registry = createEtcdRegistry({ endpoints: 'http://127.0.0.1:2379', leaseTtlSeconds: 10 });
  await registry.ready();
  // Recover a dead worker's jobs within a lease TTL.
  const worker = { connection, concurrency: 10, lockDuration: 5000, stalledInterval: 2500 };

  // Stable worker: takes the main queue, and drains the canary lane whenever no canary worker is live.
  const stable = await grayBullmqWorker(QUEUE, (job) => {
    console.log(`stable code handled ${job.name} as ${getReleaseStage()}`);
  }, { worker, lanes: { registry, stages: ['canary'] } });

  // Canary worker (normally another deployment): announced in etcd under a lease, takes only canary jobs.
  const canary = await grayBullmqWorker(QUEUE, (job) => {
    console.log(`canary code handled ${job.name} as ${getReleaseStage()}`);
  }, { worker, lanes: { registry, stage: 'canary' } });

  const queue = new Queue(QUEUE, { connection });
  const producer = grayBullmqProducer(queue, { lanes: { registry } });
  await producer.add('order 1', { id: 1 });
  await runWithStage('canary', () => producer.add('order 2', { id: 2 }));

  await new Promise((r) => setTimeout(r, 1000));
  await canary.close();
  await stable.close();
  await producer.close();
  await queue.close();
  await registry.close();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
