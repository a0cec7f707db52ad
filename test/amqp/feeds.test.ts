/**
 * graylane/amqp consumer feeds: per-stage metrics of consumed messages (count by outcome, handling
 * time; unknown stages labelled `other`) and a rollback guard fed with failed canary handlers, which
 * disables the stage in the registry — so the lanes send new canary messages to stable.
 */
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError, runWithStage } from 'graylane';
import { CONSUMER_COUNTER, CONSUMER_HISTOGRAM, grayAmqpConsume, grayAmqpPublisher, type GrayAmqpConsumer } from 'graylane/amqp';
import { createRollbackGuard } from 'graylane/observe';
import { createStaticRegistry } from 'graylane/routing';
import { startRabbit, uniqueName, type Broker } from '../helpers/brokers.js';

let broker: Broker;
let conn: ChannelModel;
let ch: Channel;
const consumers: GrayAmqpConsumer[] = [];

beforeAll(async () => {
  broker = await startRabbit();
  conn = await amqp.connect(broker.url);
  conn.on('error', () => undefined);
  ch = await conn.createChannel();
});
afterAll(async () => {
  for (const c of consumers) await c.close();
  await conn?.close();
  await broker?.close();
});

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
}

describe('graylane/amqp feeds', () => {
  it('counts handled messages per stage and outcome, times them, labels unknown stages other', async () => {
    const q = uniqueName('feeds');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-expires': 120_000 } });
    const registry = new Registry();
    let done = 0;
    consumers.push(await grayAmqpConsume(ch, q, (msg) => {
      done++;
      if (msg.content.toString() === 'fail') throw new Error('x');
    }, { metrics: { registry }, onFailure: 'reject' }));
    const pub = grayAmqpPublisher(ch);
    await runWithStage('canary', () => pub.sendToQueue(q, Buffer.from('ok')));
    await runWithStage('canary', () => pub.sendToQueue(q, Buffer.from('fail')));
    await pub.sendToQueue(q, Buffer.from('ok'));
    await runWithStage('zz-unknown', () => pub.sendToQueue(q, Buffer.from('ok')));
    await until(() => done === 4);
    await until(async () => ((await registry.getSingleMetric(CONSUMER_COUNTER)!.get()).values.length >= 4));
    const counts = (await registry.getSingleMetric(CONSUMER_COUNTER)!.get()).values.map((v) => `${String(v.labels.release_stage)}/${String(v.labels.outcome)}=${v.value}`).sort();
    expect(counts).toEqual(['canary/error=1', 'canary/ok=1', 'other/ok=1', 'stable/ok=1']);
    const hist = (await registry.getSingleMetric(CONSUMER_HISTOGRAM)!.get()).values.filter((v) => (v as { metricName?: string }).metricName === `${CONSUMER_HISTOGRAM}_count`);
    expect(hist.map((v) => `${String(v.labels.release_stage)}=${v.value}`).sort()).toEqual(['canary=2', 'other=1', 'stable=1']);
    expect(hist.every((v) => v.labels.messaging_system === 'rabbitmq' && v.labels.queue === q)).toBe(true);
  });

  it('a guard fed by failing canary handlers disables the stage; the publisher then routes canary to stable', async () => {
    const q = uniqueName('guard');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-expires': 120_000 } });
    const reg = createStaticRegistry([{ service: q, address: 'canary-worker:1', stage: 'canary' }]);
    const guard = createRollbackGuard({ registry: reg, service: q, minSamples: 5, maxErrorRate: 0.5 });
    let failures = 0;
    consumers.push(await grayAmqpConsume(ch, q, () => {
      failures++;
      throw new Error('canary bug');
    }, { guard, onFailure: 'reject', lanes: { registry: reg, stage: 'canary' }, laneQueue: { durable: false, arguments: { 'x-expires': 120_000 } } }));
    const pub = grayAmqpPublisher(ch, { lanes: { registry: reg }, laneQueue: { durable: false, arguments: { 'x-expires': 120_000 } } });
    expect(runWithStage('canary', () => pub.laneOf(q))).toBe(`${q}.lane.canary`);
    for (let i = 0; i < 5; i++) await runWithStage('canary', () => pub.sendToQueue(q, Buffer.from(String(i))));
    await until(() => guard.state === 'tripped' && reg.getService(q).rules.disabledStages.includes('canary'));
    expect(failures).toBeGreaterThanOrEqual(5);
    expect(runWithStage('canary', () => pub.laneOf(q))).toBe(q);
  });

  it('misconfiguration throws GrayConfigError at construction', async () => {
    const q = uniqueName('bad');
    await expect(grayAmqpConsume(ch, q, () => undefined, { guard: {} as never })).rejects.toThrow(GrayConfigError);
    await expect(grayAmqpConsume(ch, q, () => undefined, { consume: { noAck: true } as never })).rejects.toThrow(/noAck/);
    await expect(grayAmqpConsume(ch, q, () => undefined, { lanes: { registry: {} as never } })).rejects.toThrow(/lanes.registry/);
    await expect(grayAmqpConsume(ch, 'bad queue!', () => undefined, { lanes: { registry: createStaticRegistry() } })).rejects.toThrow(/lanes.service/);
    expect(() => grayAmqpPublisher({} as never)).toThrow(GrayConfigError);
  });
});
