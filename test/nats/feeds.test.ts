/**
 * graylane/nats consumer feeds: per-stage metrics of consumed messages (count by outcome, handling
 * time; unknown stages labelled `other`) and a rollback guard fed with failed canary handlers, which
 * disables the stage in the registry — so the publisher sends new canary messages to the main subject.
 * Misconfiguration (client, consumer, stream) throws GrayConfigError at construction.
 */
import { AckPolicy, nanos } from 'nats';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError, runWithStage } from 'graylane';
import { CONSUMER_COUNTER, CONSUMER_HISTOGRAM, grayNatsConsume, grayNatsPublisher, laneSubject, type GrayNatsConsumer } from 'graylane/nats';
import { createRollbackGuard } from 'graylane/observe';
import { createStaticRegistry } from 'graylane/routing';
import { uniqueName } from '../helpers/brokers.js';
import { natsFixture, type NatsFixture } from './setup.js';

let f: NatsFixture;
const consumers: GrayNatsConsumer[] = [];

beforeAll(async () => {
  f = await natsFixture();
});
afterAll(async () => {
  for (const c of consumers) await c.close();
  await f?.close();
});

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
}

describe('graylane/nats feeds', () => {
  it('counts handled messages per stage and outcome, times them, labels unknown stages other', async () => {
    const q = await f.queue();
    const registry = new Registry();
    let done = 0;
    consumers.push(await grayNatsConsume(f.js, q.stream, q.consumer, (msg) => {
      done++;
      if (new TextDecoder().decode(msg.data) === 'fail') throw new Error('x');
    }, { metrics: { registry }, onFailure: 'term' }));
    const pub = grayNatsPublisher(f.js);
    await runWithStage('canary', () => pub.publish(q.subject, 'ok'));
    await runWithStage('canary', () => pub.publish(q.subject, 'fail'));
    await pub.publish(q.subject, 'ok');
    await runWithStage('zz-unknown', () => pub.publish(q.subject, 'ok'));
    await until(() => done === 4);
    await until(async () => ((await registry.getSingleMetric(CONSUMER_COUNTER)!.get()).values.length >= 4));
    const counts = (await registry.getSingleMetric(CONSUMER_COUNTER)!.get()).values.map((v) => `${String(v.labels.release_stage)}/${String(v.labels.outcome)}=${v.value}`).sort();
    expect(counts).toEqual(['canary/error=1', 'canary/ok=1', 'other/ok=1', 'stable/ok=1']);
    const hist = (await registry.getSingleMetric(CONSUMER_HISTOGRAM)!.get()).values.filter((v) => (v as { metricName?: string }).metricName === `${CONSUMER_HISTOGRAM}_count`);
    expect(hist.map((v) => `${String(v.labels.release_stage)}=${v.value}`).sort()).toEqual(['canary=2', 'other=1', 'stable=1']);
    expect(hist.every((v) => v.labels.messaging_system === 'nats' && v.labels.queue === q.consumer)).toBe(true);
  });

  it('a guard fed by failing canary handlers disables the stage; the publisher then routes canary to the main subject', async () => {
    const q = await f.queue();
    const reg = createStaticRegistry([{ service: q.subject, address: 'canary-worker:1', stage: 'canary' }]);
    const guard = createRollbackGuard({ registry: reg, service: q.subject, minSamples: 5, maxErrorRate: 0.5 });
    let failures = 0;
    consumers.push(await grayNatsConsume(f.js, q.stream, q.consumer, () => {
      failures++;
      throw new Error('canary bug');
    }, { guard, onFailure: 'term', lanes: { registry: reg, stage: 'canary' } }));
    expect(consumers.at(-1)!.consumers).toEqual([`${q.consumer}-lane-canary`]);
    const pub = grayNatsPublisher(f.js, { lanes: { registry: reg } });
    expect(runWithStage('canary', () => pub.laneOf(q.subject))).toBe(laneSubject(q.subject, 'canary'));
    for (let i = 0; i < 5; i++) await runWithStage('canary', () => pub.publish(q.subject, String(i)));
    await until(() => guard.state === 'tripped' && reg.getService(q.subject).rules.disabledStages.includes('canary'));
    expect(failures).toBeGreaterThanOrEqual(5);
    expect(runWithStage('canary', () => pub.laneOf(q.subject))).toBe(q.subject);
  });

  it('misconfiguration throws GrayConfigError at construction, saying what to fix', async () => {
    const q = await f.queue();
    const registry = createStaticRegistry();
    await expect(grayNatsConsume(f.js, q.stream, q.consumer, () => undefined, { guard: {} as never })).rejects.toThrow(GrayConfigError);
    await expect(grayNatsConsume(f.js, q.stream, q.consumer, () => undefined, { lanes: { registry: {} as never } })).rejects.toThrow(/lanes.registry/);
    await expect(grayNatsConsume(f.js, q.stream, 'missing', () => undefined)).rejects.toThrow(/no durable consumer "missing".*create it first/);
    await expect(grayNatsConsume(f.js, q.stream, q.consumer, () => undefined, { maxMessages: 0 })).rejects.toThrow(/maxMessages/);
    // Lanes need one concrete filter subject, and a stream capturing the lane subjects.
    const wide = uniqueName('wide');
    await f.jsm.streams.add({ name: wide, subjects: [`${wide}.>`] });
    await f.jsm.consumers.add(wide, { durable_name: 'all', ack_policy: AckPolicy.Explicit, ack_wait: nanos(5000) });
    await expect(grayNatsConsume(f.js, wide, 'all', () => undefined, { lanes: { registry } })).rejects.toThrow(/filter on one subject without wildcards/);
    const narrow = uniqueName('narrow');
    await f.jsm.streams.add({ name: narrow, subjects: [`${narrow}.events`] });
    await f.jsm.consumers.add(narrow, { durable_name: 'w', ack_policy: AckPolicy.Explicit, filter_subject: `${narrow}.events` });
    await expect(grayNatsConsume(f.js, narrow, 'w', () => undefined, { lanes: { registry, stage: 'canary' } })).rejects.toThrow(new RegExp(`add '${narrow}.events.lane.>' to its subjects`));
    // Acks: only explicit ones (ack 'all' would ack messages whose handlers have not finished); pull consumers only.
    await f.jsm.consumers.add(narrow, { durable_name: 'ackall', ack_policy: AckPolicy.All, filter_subject: `${narrow}.events` });
    await expect(grayNatsConsume(f.js, narrow, 'ackall', () => undefined)).rejects.toThrow(/ack_policy 'explicit'/);
    await f.jsm.consumers.add(narrow, { durable_name: 'push', ack_policy: AckPolicy.Explicit, deliver_subject: uniqueName('push') });
    await expect(grayNatsConsume(f.js, narrow, 'push', () => undefined)).rejects.toThrow(/push consumer/);
    for (const s of [wide, narrow]) await f.jsm.streams.delete(s);
    expect(() => grayNatsPublisher({} as never)).toThrow(GrayConfigError);
    await expect(grayNatsConsume({} as never, q.stream, q.consumer, () => undefined)).rejects.toThrow(GrayConfigError);
  });
});
