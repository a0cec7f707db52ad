/**
 * graylane/nats: NATS JetStream (nats.js 2.x) carries the gray context in message headers, runs
 * consumers' handlers inside it, and routes messages by lane (one subject and one durable pull
 * consumer per stage, per the registry). `nats` is an optional peer, loaded by this subpath.
 * @packageDocumentation
 */
export { grayNatsPublisher } from './publisher.js';
export type { GrayNatsPublisher, GrayNatsPublisherOptions } from './publisher.js';
export { grayNatsConsume } from './consumer.js';
export type { GrayNatsConsumer, GrayNatsConsumeOptions, GrayNatsConsumerLanes, GrayNatsHandler, NatsFailureAction } from './consumer.js';
export { laneSubject, laneConsumerName } from './lane-subject.js';
export { getMessageGrayContext } from '../queue/message-context.js';
export type { GrayLaneOptions } from '../queue/lanes.js';
export type { GrayConsumerMetricsOptions } from '../queue/consumer-feed.js';
export { CONSUMER_COUNTER, CONSUMER_HISTOGRAM } from '../queue/consumer-feed.js';
