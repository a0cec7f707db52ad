/**
 * A RabbitMQ publisher and worker with graylane/amqp: the publisher runs inside a request's gray
 * context (here: runWithStage), the worker's handler runs inside each message's context, and with
 * `lanes` a canary worker takes only canary messages while the registry says it is live.
 * Run: a RabbitMQ on 127.0.0.1:5672 and an etcd on 127.0.0.1:2379, then `npx tsx examples/queues/amqp-worker.ts`.
 */
import amqp from 'amqplib';
import { getReleaseStage, runWithStage } from 'graylane';
import { grayAmqpConsume, grayAmqpPublisher } from 'graylane/amqp';
import { createEtcdRegistry } from 'graylane/routing';

const QUEUE = 'orders.events';

export async function main(): Promise<void> {
  const registry = createEtcdRegistry({ endpoints: 'http://127.0.0.1:2379', leaseTtlSeconds: 10 });
  await registry.ready();
  const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  const channel = await conn.createChannel();
  await channel.assertQueue(QUEUE, { durable: true });
  await channel.prefetch(20);

  // Stable worker: takes the main queue, and drains the canary lane whenever no canary worker is live.
  const stable = await grayAmqpConsume(channel, QUEUE, async (msg) => {
    console.log(`stable code handled ${msg.content.toString()} as ${getReleaseStage()}`);
  }, { lanes: { registry, stages: ['canary'] } });

  // Canary worker (normally another deployment): announced in etcd under a lease, takes only canary messages.
  const canary = await grayAmqpConsume(await conn.createChannel(), QUEUE, async (msg) => {
    console.log(`canary code handled ${msg.content.toString()} as ${getReleaseStage()}`);
  }, { lanes: { registry, stage: 'canary' } });

  const publisher = grayAmqpPublisher(channel, { lanes: { registry } });
  await publisher.sendToQueue(QUEUE, Buffer.from('order 1'));
  await runWithStage('canary', () => publisher.sendToQueue(QUEUE, Buffer.from('order 2')));

  await new Promise((r) => setTimeout(r, 1000));
  await canary.close();
  await stable.close();
  await conn.close();
  await registry.close();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
