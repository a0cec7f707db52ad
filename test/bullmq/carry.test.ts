/**
 * graylane/bullmq against a real Redis: adding jobs carries the gray context in `opts.graylane`
 * (the job's data untouched), workers run inside it (after await, in batches), and hostile or broken
 * option values give the default stage, counted — never an exception, never a crossed stage. A
 * poison job follows BullMQ's own attempts and backoff, its tag kept in the failed set.
 */
import { Job, type JobsOptions } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrayPolicy, getGrayContext, getReleaseStage, runWithGrayContext, runWithStage, type GrayInvalidEvent } from 'graylane';
import { GRAY_JOB_OPTION, getMessageGrayContext, grayBullmqProducer, grayBullmqWorker, type GrayBullmqWorker } from 'graylane/bullmq';
import { bullFixture, waitFor, type BullFixture } from './setup.js';

let f: BullFixture;
const workers: GrayBullmqWorker[] = [];

beforeAll(async () => {
  f = await bullFixture();
});
afterAll(async () => {
  for (const w of workers) await w.close();
  await f?.close();
});

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));
const opts = (graylane: unknown): JobsOptions => ({ [GRAY_JOB_OPTION]: graylane } as JobsOptions);

describe('graylane/bullmq carry', () => {
  it('a job added inside a context is handled inside it, after await too; data untouched, the producer\'s own keys win', async () => {
    const q = f.queue();
    const producer = grayBullmqProducer(q);
    const seen: Array<{ id: string; entry: string; after: string; data: unknown }> = [];
    workers.push(await grayBullmqWorker(q.name, async (job) => {
      const entry = getReleaseStage();
      await tick();
      seen.push({ id: job.name, entry, after: getReleaseStage(), data: job.data });
      return `done ${job.name}`;
    }, { worker: { connection: f.connection, prefix: f.prefix, concurrency: 5 } }));
    const a = await runWithStage('canary', () => producer.add('a', { order: 1, graylane: 'user field' }));
    await runWithStage('canary', () => producer.add('b', { order: 2 }, opts({ 'X-Release-Stage': 'blue' })));
    await producer.add('c', null);
    await waitFor(() => seen.length === 3);
    const byId = Object.fromEntries(seen.map((s) => [s.id, s]));
    expect(byId.a).toEqual({ id: 'a', entry: 'canary', after: 'canary', data: { order: 1, graylane: 'user field' } });
    expect(byId.b).toMatchObject({ entry: 'blue', after: 'blue', data: { order: 2 } });
    expect(byId.c).toMatchObject({ entry: 'stable', after: 'stable', data: null });
    let finished: Job | undefined;
    await waitFor(() => (void Job.fromId(q, a.id!).then((j) => (finished = j)), finished?.returnvalue === 'done a')); // the handler's result is the job's
  });

  it('does not modify the caller\'s options', async () => {
    const q = f.queue();
    const producer = grayBullmqProducer(q);
    const own = { 'x-own': '1' };
    const options = { attempts: 2, ...opts(own) };
    const job = await runWithStage('canary', () => producer.add('x', {}, options));
    expect(options).toEqual({ attempts: 2, [GRAY_JOB_OPTION]: { 'x-own': '1' } });
    expect((job.opts as Record<string, unknown>)[GRAY_JOB_OPTION]).toEqual({ 'x-own': '1', 'x-release-stage': 'canary' });
  });

  it('batches: getMessageGrayContext gives each job its own context later; addBulk stamps each job', async () => {
    const q = f.queue();
    const producer = grayBullmqProducer(q);
    const batch: Job[] = [];
    workers.push(await grayBullmqWorker(q.name, (job) => void batch.push(job), { worker: { connection: f.connection, prefix: f.prefix, concurrency: 10 } }));
    for (let i = 0; i < 10; i++) await runWithStage(`s${i}`, () => producer.add(String(i), {}));
    await runWithStage('bulk', () => producer.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: String(10 + i), data: {} }))));
    await waitFor(() => batch.length === 20);
    const out: string[] = [];
    await Promise.all(batch.map((j) => runWithGrayContext(getMessageGrayContext(j)!, async () => {
      await tick();
      out.push(`${j.name}:${getReleaseStage()}`);
    })));
    expect(out.sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `${i}:s${i}`), ...Array.from({ length: 10 }, (_, i) => `${10 + i}:bulk`)].sort());
    expect(getGrayContext()).toBeUndefined();
  });

  it('bad input: no option, junk, joined, oversized, non-text, non-object, prototype-named keys give the default stage, counted', async () => {
    const q = f.queue();
    const events: GrayInvalidEvent[] = [];
    const policy = createGrayPolicy({ onInvalid: (e) => events.push(e) });
    const seen = new Map<string, string>();
    workers.push(await grayBullmqWorker(q.name, (job) => void seen.set(job.name, getReleaseStage()), { policy, worker: { connection: f.connection, prefix: f.prefix, concurrency: 5 } }));
    const raw: Array<[string, unknown]> = [
      ['none', undefined],
      ['junk', { 'x-release-stage': '<script>' }],
      ['huge', { 'x-release-stage': 'c'.repeat(1_000_000) }],
      ['number', { 'x-release-stage': 42 }],
      ['nested', { 'x-release-stage': { nested: 'canary' } }],
      ['string', 'canary'],
      ['array', ['canary']],
      ['null', null],
      ['proto', JSON.parse('{"__proto__": {"x-release-stage": "canary"}, "constructor": "canary"}')],
      ['joined', { 'x-release-stage': 'canary, beta' }],
      ['upper', { 'X-RELEASE-STAGE': 'canary' }],
      ['list', { 'x-release-stage': ['canary', 'beta'] }],
    ];
    for (const [id, value] of raw) await q.add(id, {}, value === undefined ? {} : opts(value));
    await waitFor(() => seen.size === raw.length);
    expect(Object.fromEntries(seen)).toEqual({
      none: 'stable', junk: 'stable', huge: 'stable', number: 'stable', nested: 'stable', string: 'stable', array: 'stable', null: 'stable', proto: 'stable',
      joined: 'canary', // the first value of a joined list, as for gRPC and HTTP
      upper: 'canary', // names match case-insensitively
      list: 'canary', // the first element of a list
    });
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(events.every((e) => e.key === 'x-release-stage' && e.value.length <= 64)).toBe(true);
  });

  it('hostile options: control keys withheld from untrusted producers, prototype-named keys inert', async () => {
    const q = f.queue();
    const policy = createGrayPolicy({ keyPrefix: 'x-gray-', trustIncoming: false });
    const seen: Array<Record<string, string>> = [];
    workers.push(await grayBullmqWorker(q.name, () => void seen.push({ ...getGrayContext()!.entries, stage: getReleaseStage() }), { policy, worker: { connection: f.connection, prefix: f.prefix } }));
    await q.add('h', {}, opts(JSON.parse('{"x-release-stage":"canary","x-gray-trace":"1","x-gray-__proto__":"p","__proto__":"q","constructor":"c","X-Gray-User":"u"}')));
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toEqual({ 'x-gray-__proto__': 'p', 'x-gray-user': 'u', stage: 'stable' });
  });

  it('a poison job is retried per its attempts and backoff with its tag, then failed with its tag kept', async () => {
    const q = f.queue();
    const producer = grayBullmqProducer(q);
    const attempts: Array<{ stage: string; made: number }> = [];
    const errors: unknown[] = [];
    workers.push(await grayBullmqWorker(q.name, (job) => {
      attempts.push({ stage: getReleaseStage(), made: job.attemptsMade });
      throw new Error('poison');
    }, { onHandlerError: (e) => errors.push(e), worker: { connection: f.connection, prefix: f.prefix } }));
    const job = await runWithStage('canary', () => producer.add('p', {}, { attempts: 3, backoff: { type: 'fixed', delay: 20 } }));
    await waitFor(() => attempts.length >= 3);
    let failed: Job | undefined;
    await waitFor(() => {
      void Job.fromId(q, job.id!).then((j) => (failed = j));
      return failed?.failedReason === 'poison' && failed.finishedOn !== undefined;
    });
    expect(attempts).toEqual([{ stage: 'canary', made: 0 }, { stage: 'canary', made: 1 }, { stage: 'canary', made: 2 }]);
    expect(errors).toHaveLength(3);
    expect(await job.getState()).toBe('failed');
    expect((failed!.opts as Record<string, unknown>)[GRAY_JOB_OPTION]).toEqual({ 'x-release-stage': 'canary' });
  });
});
