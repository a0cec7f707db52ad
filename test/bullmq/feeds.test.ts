/**
 * graylane/bullmq worker feeds: per-stage metrics of handled jobs (count by outcome, handling time;
 * unknown stages labelled `other`) and a rollback guard fed with failed canary handlers, which
 * disables the stage in the registry — so the producer sends new canary jobs to the main queue.
 * Misconfiguration throws GrayConfigError at construction.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError, runWithStage } from 'graylane';
import { CONSUMER_COUNTER, CONSUMER_HISTOGRAM, grayBullmqProducer, grayBullmqWorker, laneQueueName, type GrayBullmqProducer, type GrayBullmqWorker } from 'graylane/bullmq';
import { createRollbackGuard } from 'graylane/observe';
import { createStaticRegistry } from 'graylane/routing';
import { bullFixture, type BullFixture } from './setup.js';

let f: BullFixture;
const workers: GrayBullmqWorker[] = [];
const producers: GrayBullmqProducer[] = [];

beforeAll(async () => {
  f = await bullFixture();
});
afterAll(async () => {
  for (const w of workers) await w.close();
  for (const p of producers) await p.close();
  await f?.close();
});

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
}

describe('graylane/bullmq feeds', () => {
  it('counts handled jobs per stage and outcome, times them, labels unknown stages other', async () => {
    const q = f.queue();
    const registry = new Registry();
    let done = 0;
    workers.push(await grayBullmqWorker(q.name, (job) => {
      done++;
      if (job.name === 'fail') throw new Error('x');
    }, { metrics: { registry }, worker: { connection: f.connection, prefix: f.prefix } }));
    const pub = grayBullmqProducer(q);
    await runWithStage('canary', () => pub.add('ok', {}));
    await runWithStage('canary', () => pub.add('fail', {}));
    await pub.add('ok', {});
    await runWithStage('zz-unknown', () => pub.add('ok', {}));
    await until(() => done === 4);
    await until(async () => ((await registry.getSingleMetric(CONSUMER_COUNTER)!.get()).values.length >= 4));
    const counts = (await registry.getSingleMetric(CONSUMER_COUNTER)!.get()).values.map((v) => `${String(v.labels.release_stage)}/${String(v.labels.outcome)}=${v.value}`).sort();
    expect(counts).toEqual(['canary/error=1', 'canary/ok=1', 'other/ok=1', 'stable/ok=1']);
    const hist = (await registry.getSingleMetric(CONSUMER_HISTOGRAM)!.get()).values.filter((v) => (v as { metricName?: string }).metricName === `${CONSUMER_HISTOGRAM}_count`);
    expect(hist.map((v) => `${String(v.labels.release_stage)}=${v.value}`).sort()).toEqual(['canary=2', 'other=1', 'stable=1']);
    expect(hist.every((v) => v.labels.messaging_system === 'bullmq' && v.labels.queue === q.name)).toBe(true);
  });

  it('a guard fed by failing canary handlers disables the stage; the producer then routes canary to the main queue', async () => {
    const q = f.queue();
    const reg = createStaticRegistry([{ service: q.name, address: 'canary-worker:1', stage: 'canary' }]);
    const guard = createRollbackGuard({ registry: reg, service: q.name, minSamples: 5, maxErrorRate: 0.5 });
    let failures = 0;
    workers.push(await grayBullmqWorker(q.name, () => {
      failures++;
      throw new Error('canary bug');
    }, { guard, lanes: { registry: reg, stage: 'canary' }, worker: { connection: f.connection, prefix: f.prefix } }));
    expect(workers.at(-1)!.queues).toEqual([laneQueueName(q.name, 'canary')]);
    const pub = grayBullmqProducer(q, { lanes: { registry: reg } });
    producers.push(pub);
    expect(runWithStage('canary', () => pub.laneOf())).toBe(laneQueueName(q.name, 'canary'));
    for (let i = 0; i < 5; i++) await runWithStage('canary', () => pub.add(String(i), {}));
    await until(() => guard.state === 'tripped' && reg.getService(q.name).rules.disabledStages.includes('canary'));
    expect(failures).toBeGreaterThanOrEqual(5);
    expect(runWithStage('canary', () => pub.laneOf())).toBe(q.name);
  });

  it('misconfiguration throws GrayConfigError at construction, saying what to fix', async () => {
    const q = f.queue();
    const worker = { connection: f.connection, prefix: f.prefix };
    await expect(grayBullmqWorker(q.name, () => undefined, { worker, guard: {} as never })).rejects.toThrow(GrayConfigError);
    await expect(grayBullmqWorker(q.name, () => undefined, { worker, lanes: { registry: {} as never } })).rejects.toThrow(/lanes.registry/);
    await expect(grayBullmqWorker(q.name, () => undefined, {} as never)).rejects.toThrow(/options.worker with a connection/);
    await expect(grayBullmqWorker('a:b', () => undefined, { worker })).rejects.toThrow(/without ":"/);
    await expect(grayBullmqWorker(q.name, 'nope' as never, { worker })).rejects.toThrow(/handler/);
    await expect(grayBullmqWorker('bad queue!', () => undefined, { worker, lanes: { registry: createStaticRegistry() } })).rejects.toThrow(/lanes.service/);
    expect(() => grayBullmqProducer({} as never)).toThrow(GrayConfigError);
  });
});
