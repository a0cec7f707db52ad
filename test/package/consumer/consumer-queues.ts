// Type-level consumer of graylane/nats and graylane/bullmq (nats, bullmq and amqplib installed):
// public names only, compiled with strict TypeScript against the tarball's .d.ts.
import type { Queue } from 'bullmq';
import type { JetStreamClient } from 'nats';
import { grayBullmqProducer, laneQueueName } from 'graylane/bullmq';
import { grayNatsPublisher, laneSubject } from 'graylane/nats';

declare const js: JetStreamClient;
declare const queue: Queue;
const publisher = grayNatsPublisher(js);
const producer = grayBullmqProducer(queue);
const names: string[] = [laneSubject('orders', 'canary'), laneQueueName('orders', 'canary')];
// @ts-expect-error a JetStream client is required (proves the nats types resolved, not `any`)
grayNatsPublisher(42);
export { publisher, producer, names };
