/**
 * Lanes through BullMQ (Redis), read from a real etcd registry: 1 canary worker (a child process)
 * and 2 stable workers. Untagged messages only ever reach stable code, canary messages canary
 * code; SIGKILL of the canary with ≥ 500 canary messages waiting → all handled by stable within two
 * lease TTLs, none lost (distinct ids counted; redeliveries deduped); disabling the stage in the
 * registry → the same; enabling it again → canary code again.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithStage } from 'graylane';
import { grayBullmqProducer, grayBullmqWorker, laneQueueName, type GrayBullmqProducer, type GrayBullmqWorker } from 'graylane/bullmq';
import { createEtcdRegistry, type EtcdGrayRegistry } from 'graylane/routing';
import { etcdAvailable, startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { bullFixture, waitFor, type BullFixture } from './setup.js';

const TTL = 2;
const WORKER = fileURLToPath(new URL('./fixtures/lane-worker.ts', import.meta.url));

interface Handled { readonly id: string; readonly code: 'stable' | 'canary'; readonly stage: string }

let f: BullFixture;
let etcd: EtcdServer;
let registry: EtcdGrayRegistry;
let pub: GrayBullmqProducer;
let main: Queue;
let laneQueue: Queue;
let lane = '';
const handled: Handled[] = [];
const stables: GrayBullmqWorker[] = [];
const children = new Set<ChildProcessWithoutNullStreams>();

const canaryLive = (): boolean => registry.getService(main.name).instances.some((i) => i.stage === 'canary');

async function startCanary(delayMs: number): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, GL_REDIS_PORT: String(f.broker.port), GL_PREFIX: f.prefix, GL_ETCD: etcd.endpoint, GL_QUEUE: main.name, GL_DELAY_MS: String(delayMs), GL_TTL: String(TTL) },
  });
  children.add(child);
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`canary worker exited (${code}): ${stderr}`)));
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'READY') resolve();
        const [tag, id, stage] = line.split(' ');
        if (tag === 'H') handled.push({ id: id!, code: 'canary', stage: stage! });
      }
    });
  });
  await ready;
  await waitFor(canaryLive, 10_000, 'the canary worker in the registry');
  await Promise.all(stables.map((s) => s.settled()));
  return child;
}

async function publish(prefix: string, count: number, canary: (i: number) => boolean): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`;
    ids.push(id);
    const send = (): Promise<unknown> => pub.add(id, {}, { removeOnComplete: true });
    await (canary(i) ? runWithStage('canary', send) : send());
  }
  return ids;
}

const distinct = (prefix: string): Map<string, Handled> => {
  const out = new Map<string, Handled>();
  for (const h of handled) if (h.id.startsWith(`${prefix}-`) && !out.has(h.id)) out.set(h.id, h);
  return out;
};

describe.runIf(etcdAvailable())('graylane/bullmq lanes (Redis + etcd registry)', () => {
  beforeAll(async () => {
    [f, etcd] = await Promise.all([bullFixture(), startEtcd()]);
    registry = createEtcdRegistry({ endpoints: etcd.endpoint, leaseTtlSeconds: TTL });
    await registry.ready();
    main = f.queue();
    lane = laneQueueName(main.name, 'canary');
    laneQueue = new Queue(lane, { connection: f.connection, prefix: f.prefix });
    pub = grayBullmqProducer(main, { lanes: { registry } });
    for (let i = 0; i < 2; i++) {
      stables.push(await grayBullmqWorker(main.name, async (job, ctx) => {
        handled.push({ id: job.name, code: 'stable', stage: ctx.stage });
      }, {
        lanes: { registry, stages: ['canary'] },
        // lockDuration and stalledInterval under one lease TTL: a killed worker's active jobs are recovered in time.
        worker: { connection: f.connection, prefix: f.prefix, concurrency: 20, lockDuration: 2000, stalledInterval: 1000 },
      }));
    }
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    for (const s of stables) await s.close();
    await pub?.close();
    await laneQueue?.close();
    await registry?.close();
    await f?.close();
    await etcd?.close();
  });

  it('3,000 mixed messages: untagged → stable code only, canary → canary code only', async () => {
    await startCanary(0);
    expect(pub.laneOf()).toBe(main.name);
    expect(runWithStage('canary', () => pub.laneOf())).toBe(lane);
    const ids = await publish('mix', 3000, (i) => i % 3 === 0);
    await waitFor(() => distinct('mix').size === 3000, 30_000, '3,000 messages handled');
    const got = distinct('mix');
    let crossed = 0;
    for (const [i, id] of ids.entries()) {
      const h = got.get(id)!;
      const want = i % 3 === 0 ? 'canary' : 'stable';
      if (h.code !== want || h.stage !== want) crossed++;
    }
    expect(crossed).toBe(0);
    expect(handled.filter((h) => h.id.startsWith('mix-')).length).toBe(3000); // no redelivery in a calm run
  });

  it('SIGKILL of the canary with ≥ 500 canary messages waiting: all handled by stable within two lease TTLs, none lost', async () => {
    const child = [...children].at(-1)!;
    children.delete(child);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const slow = await startCanary(5);
    const ids = await publish('kill', 1500, () => true);
    await waitFor(() => distinct('kill').size >= 20, 20_000, 'the canary to start');
    const waiting = await laneQueue.getWaitingCount();
    expect(waiting).toBeGreaterThanOrEqual(500);
    const killedAt = Date.now();
    children.delete(slow);
    slow.kill('SIGKILL');
    await waitFor(() => distinct('kill').size === ids.length, 4 * TTL * 1000 + 10_000, 'every canary message');
    const elapsed = Date.now() - killedAt;
    const got = distinct('kill');
    expect(got.size).toBe(1500);
    expect([...got.values()].every((h) => h.stage === 'canary')).toBe(true); // the tag survived the redelivery
    const byStable = [...got.values()].filter((h) => h.code === 'stable').length;
    expect(byStable).toBeGreaterThanOrEqual(waiting);
    expect(elapsed).toBeLessThanOrEqual(2 * TTL * 1000 + 1500);
  }, 60_000);

  it('disabling the stage in the registry: waiting canary messages go to stable, none lost; re-enabling: canary again', async () => {
    await startCanary(5);
    const ids = await publish('dis', 1000, () => true);
    await waitFor(() => distinct('dis').size >= 10, 20_000, 'the canary to start');
    await registry.setStageDisabled(main.name, 'canary', true);
    await waitFor(() => distinct('dis').size === ids.length, 20_000, 'every waiting canary message');
    expect([...distinct('dis').values()].filter((h) => h.code === 'stable').length).toBeGreaterThan(500);
    // New canary messages while disabled: stable code, tag kept (permissive fallback).
    await waitFor(() => stables.every((s) => s.queues.includes(lane)), 10_000, 'stable draining the lane');
    expect(runWithStage('canary', () => pub.laneOf())).toBe(main.name);
    await publish('off', 200, () => true);
    await waitFor(() => distinct('off').size === 200, 20_000, 'messages while disabled');
    expect([...distinct('off').values()].every((h) => h.code === 'stable' && h.stage === 'canary')).toBe(true);

    await registry.setStageDisabled(main.name, 'canary', false);
    await waitFor(() => stables.every((s) => !s.queues.includes(lane)), 10_000, 'stable to leave the lane');
    expect(runWithStage('canary', () => pub.laneOf())).toBe(lane);
    await publish('on', 200, () => true);
    await waitFor(() => distinct('on').size === 200, 20_000, 'messages after re-enabling');
    expect([...distinct('on').values()].every((h) => h.code === 'canary' && h.stage === 'canary')).toBe(true);
  }, 60_000);
});
