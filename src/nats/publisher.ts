/**
 * `grayNatsPublisher`: publishing to JetStream inside a gray context stamps the propagated keys into
 * a copy of the message headers (the publisher's own keys win); with `lanes`, each message goes to
 * the lane subject its stage is routed to.
 * @packageDocumentation
 */
import { headers as natsHeaders, type JetStreamClient, type JetStreamPublishOptions, type MsgHdrs, type PubAck } from 'nats';
import { injectGrayContext } from '../core/carrier.js';
import { callStage } from '../core/call-stage.js';
import { getGrayContext } from '../core/context.js';
import { GrayConfigError } from '../core/errors.js';
import { defaultGrayPolicy, type GrayPolicy } from '../core/policy.js';
import { QueueLanes, requireLaneOptions, type GrayLaneOptions } from '../queue/lanes.js';
import { headersFromEntries, messageHeadersGetter } from '../queue/message-carrier.js';
import { laneSubject, natsHeadersSetter } from './lane-subject.js';

/** Options of {@link grayNatsPublisher}. */
export interface GrayNatsPublisherOptions {
  /** Policy naming the stage key and default stage (use the same as your interceptors). Default: the default policy. */
  readonly policy?: GrayPolicy;
  /** Route each message to its lane subject, read from this registry (see docs/queues.md). Default: none (carry only). */
  readonly lanes?: GrayLaneOptions;
}

/** A JetStream publisher that carries the gray context; made by {@link grayNatsPublisher}. */
export interface GrayNatsPublisher {
  /**
   * `js.publish` with the current context's keys added to a copy of `options.headers` (a key you set,
   * in any case, wins). With `lanes`, the message goes to `<subject>.lane.<stage>` when the
   * registry's rules send its stage there (the stream must capture `<subject>.lane.>`).
   */
  publish(subject: string, payload?: Uint8Array | string, options?: Partial<JetStreamPublishOptions>): Promise<PubAck>;
  /** The subject a message published now to `subject` would go to (the lane decision), for logs and tests. */
  laneOf(subject: string): string;
}

function copyHeaders(from: MsgHdrs | undefined): MsgHdrs {
  const out = natsHeaders();
  if (from !== undefined) for (const [name, values] of from) for (const value of values) out.append(name, value);
  return out;
}

/**
 * Wraps a JetStream client (`nc.jetstream()`) for publishing with the gray context.
 *
 * @throws GrayConfigError when `js` is not a JetStream client or `lanes` is malformed.
 */
export function grayNatsPublisher(js: JetStreamClient, options: GrayNatsPublisherOptions = {}): GrayNatsPublisher {
  if (typeof js?.publish !== 'function') throw new GrayConfigError('graylane/nats: grayNatsPublisher(js) needs a JetStream client (nc.jetstream()).');
  const policy = options.policy ?? defaultGrayPolicy();
  const laneOptions = requireLaneOptions(options.lanes, 'grayNatsPublisher');
  const perSubject = new Map<string, QueueLanes>();
  const lanesOf = (subject: string): QueueLanes => {
    let lanes = perSubject.get(subject);
    if (lanes === undefined) perSubject.set(subject, (lanes = new QueueLanes(laneOptions!, policy, subject, 'grayNatsPublisher')));
    return lanes;
  };
  const laneOf = (subject: string, own?: MsgHdrs): string => {
    if (laneOptions === undefined) return subject;
    const stage = callStage(own === undefined ? undefined : headersFromEntries(own), messageHeadersGetter, policy, getGrayContext());
    return laneSubject(subject, lanesOf(subject).laneFor(stage), policy.defaultStage);
  };
  return {
    async publish(subject, payload, opts) {
      const target = laneOf(subject, opts?.headers);
      const ctx = getGrayContext();
      if (ctx === undefined) return js.publish(target, payload, opts);
      const headers = injectGrayContext(ctx, copyHeaders(opts?.headers), natsHeadersSetter);
      return js.publish(target, payload, { ...opts, headers });
    },
    laneOf: (subject) => laneOf(subject),
  };
}
