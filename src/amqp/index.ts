/**
 * graylane/amqp: RabbitMQ (amqplib) carries the gray context in message headers, runs consumers'
 * handlers inside it, and routes messages by lane (one lane queue per stage, per the registry).
 * `amqplib` is an optional peer: this module never loads it (you pass your channel).
 * @packageDocumentation
 */
export { grayAmqpPublisher } from './publisher.js';
export type { GrayAmqpPublisher, GrayAmqpPublisherOptions } from './publisher.js';
export { grayAmqpConsume } from './consumer.js';
export type { GrayAmqpConsumer, GrayAmqpConsumeOptions, GrayAmqpConsumerLanes, GrayAmqpHandler, AmqpFailureAction } from './consumer.js';
export { laneQueueName, DEFAULT_LANE_QUEUE } from './lane-queue.js';
export type { AmqpChannelLike } from './lane-queue.js';
export { getMessageGrayContext } from '../queue/message-context.js';
export { messageGrayContext } from '../queue/message-carrier.js';
export type { MessageHeaders } from '../queue/message-carrier.js';
export type { GrayLaneOptions } from '../queue/lanes.js';
export type { GrayConsumerMetricsOptions } from '../queue/consumer-feed.js';
export { CONSUMER_COUNTER, CONSUMER_HISTOGRAM } from '../queue/consumer-feed.js';
