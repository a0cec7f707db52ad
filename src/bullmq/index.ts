/**
 * graylane/bullmq: BullMQ (Redis) carries the gray context in the job options (`opts.graylane`),
 * runs workers' processors inside it, and routes jobs by lane (one queue per stage, per the
 * registry). `bullmq` is an optional peer, loaded by this subpath.
 * @packageDocumentation
 */
export { grayBullmqProducer } from './producer.js';
export type { GrayBullmqProducer, GrayBullmqProducerOptions } from './producer.js';
export { grayBullmqWorker, jobGrayContext } from './worker.js';
export type { GrayBullmqWorker, GrayBullmqWorkerOptions, GrayBullmqWorkerLanes, GrayBullmqHandler } from './worker.js';
export { laneQueueName, GRAY_JOB_OPTION } from './lane-queue.js';
export { getMessageGrayContext } from '../queue/message-context.js';
export type { GrayLaneOptions } from '../queue/lanes.js';
export type { GrayConsumerMetricsOptions } from '../queue/consumer-feed.js';
export { CONSUMER_COUNTER, CONSUMER_HISTOGRAM } from '../queue/consumer-feed.js';
