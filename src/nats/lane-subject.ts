/**
 * NATS JetStream objects of the lanes: one subject per non-default stage beside the main subject,
 * `<subject>.lane.<stage>`, in the same stream, and one durable pull consumer per lane,
 * `<consumer>-lane-<stage>` (dots in the stage written `~`), made like the main consumer.
 * @packageDocumentation
 */
import type { ConsumerConfig, MsgHdrs } from 'nats';
import type { GraySetter } from '../core/carrier.js';

/**
 * The subject a message of `stage` published to `subject` goes to: `subject` itself for the default
 * stage, else `<subject>.lane.<stage>`. The stream must capture `<subject>.lane.>` too.
 */
export function laneSubject(subject: string, stage: string, defaultStage = 'stable'): string {
  return stage === defaultStage ? subject : `${subject}.lane.${stage}`;
}

/**
 * The durable consumer taking the lane of `stage` for the main durable `consumer`: `consumer` itself
 * for the default stage, else `<consumer>-lane-<stage>` with `.` written `~` (consumer names cannot
 * hold dots; `~` is never in a stage, so two stages never share a name).
 */
export function laneConsumerName(consumer: string, stage: string, defaultStage = 'stable'): string {
  return stage === defaultStage ? consumer : `${consumer}-lane-${stage.replaceAll('.', '~')}`;
}

/** `true` when the NATS subject pattern (`*` one token, `>` the rest) captures `subject`. Linear. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** Settings a lane's durable copies from the main consumer, so redelivery, backoff and limits are the same on every lane. */
const INHERITED = ['ack_wait', 'max_deliver', 'backoff', 'max_ack_pending', 'max_waiting', 'max_batch', 'max_expires', 'max_bytes', 'num_replicas', 'mem_storage'] as const;

/** The configuration of a lane's durable: the main consumer's inherited settings, then `overrides`, then name, filter, explicit acks, all messages. Internal. */
export function laneConsumerConfig(main: Partial<ConsumerConfig>, overrides: Partial<ConsumerConfig> | undefined, name: string, filter: string): Partial<ConsumerConfig> {
  const config: Record<string, unknown> = {};
  for (const key of INHERITED) if (main[key] !== undefined) config[key] = main[key];
  Object.assign(config, overrides);
  Object.assign(config, { durable_name: name, filter_subject: filter, ack_policy: 'explicit', deliver_policy: 'all' });
  return config as Partial<ConsumerConfig>;
}

/** Writes into NATS headers; a name the publisher set in any case counts as set (their value wins). Internal. */
export const natsHeadersSetter: GraySetter<MsgHdrs> = {
  set(headers, key, value) {
    headers.set(key, value);
  },
  has(headers, key) {
    for (const name of headers.keys()) if (name.toLowerCase() === key) return true;
    return false;
  },
};
