/**
 * A NATS JetStream publisher and worker with graylane/nats: the publisher runs inside a request's
 * gray context (here: runWithStage), the worker's handler runs inside each message's context, and
 * with `lanes` a canary worker takes only canary messages while the registry says it is live.
 * Run: a NATS with JetStream on 127.0.0.1:4222 and an etcd on 127.0.0.1:2379, then `npx tsx examples/queues/nats-worker.ts`.
 */
import { AckPolicy, RetentionPolicy, connect, nanos } from 'nats';
import { getReleaseStage, runWithStage } from 'graylane';
import { grayNatsConsume, grayNatsPublisher } from 'graylane/nats';
import { createEtcdRegistry } from 'graylane/routing';

const STREAM = 'ORDERS';
const SUBJECT = 'orders.events';

export async function main(): Promise<void> {
  const registry = createEtcdRegistry({ endpoints: 'http://127.0.0.1:2379', leaseTtlSeconds: 10 });
  await registry.ready();
  const nc = await connect({ servers: '127.0.0.1:4222' });
  const jsm = await nc.jetstreamManager();
  // The stream captures the main subject and its lanes; the durable filters the main subject.
  await jsm.streams.add({ name: STREAM, subjects: [SUBJECT, `${SUBJECT}.lane.>`], retention: RetentionPolicy.Workqueue });
  await jsm.consumers.add(STREAM, { durable_name: 'workers', filter_subject: SUBJECT, ack_policy: AckPolicy.Explicit, ack_wait: nanos(10_000), max_deliver: 5 });
  const js = nc.jetstream();

  // Stable worker: takes the main subject, and drains the canary lane whenever no canary worker is live.
  const stable = await grayNatsConsume(js, STREAM, 'workers', (msg) => {
    console.log(`stable code handled ${msg.string()} as ${getReleaseStage()}`);
  }, { lanes: { registry, stages: ['canary'] } });

  // Canary worker (normally another deployment): announced in etcd under a lease, takes only canary messages.
  const canary = await grayNatsConsume(js, STREAM, 'workers', (msg) => {
    console.log(`canary code handled ${msg.string()} as ${getReleaseStage()}`);
  }, { lanes: { registry, stage: 'canary' } });

  const publisher = grayNatsPublisher(js, { lanes: { registry } });
  await publisher.publish(SUBJECT, 'order 1');
  await runWithStage('canary', () => publisher.publish(SUBJECT, 'order 2'));

  await new Promise((r) => setTimeout(r, 1000));
  await canary.close();
  await stable.close();
  await nc.close();
  await registry.close();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
