/**
 * graylane/amqp against a real RabbitMQ: publishing carries the gray context in message headers,
 * consumers run inside it (after await, acked later, in batches), and hostile or broken headers
 * give the default stage, counted — never an exception, never a crossed stage.
 */
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrayPolicy, getGrayContext, getReleaseStage, runWithGrayContext, runWithStage, type GrayInvalidEvent } from 'graylane';
import { getMessageGrayContext, grayAmqpConsume, grayAmqpPublisher, type GrayAmqpConsumer } from 'graylane/amqp';
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

async function freshQueue(args: Record<string, unknown> = {}): Promise<string> {
  const q = uniqueName('amqp');
  await ch.assertQueue(q, { autoDelete: false, durable: false, arguments: { 'x-expires': 120_000, ...args } });
  return q;
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error('timed out'));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

describe('graylane/amqp carry', () => {
  it('a message published inside a context is handled inside it, after await too; the publisher\'s own headers win', async () => {
    const q = await freshQueue();
    const pub = grayAmqpPublisher(ch);
    const seen: Array<{ id: string; entry: string; after: string; header: unknown }> = [];
    consumers.push(await grayAmqpConsume(ch, q, async (msg) => {
      const entry = getReleaseStage();
      await tick();
      seen.push({ id: msg.content.toString(), entry, after: getReleaseStage(), header: msg.properties.headers?.['x-own'] });
    }));
    await runWithStage('canary', () => pub.sendToQueue(q, Buffer.from('a'), { headers: { 'x-own': 'kept' } }));
    await runWithStage('canary', () => pub.sendToQueue(q, Buffer.from('b'), { headers: { 'x-release-stage': 'blue' } }));
    await pub.sendToQueue(q, Buffer.from('c'));
    await waitFor(() => seen.length === 3);
    const byId = Object.fromEntries(seen.map((s) => [s.id, s]));
    expect(byId.a).toEqual({ id: 'a', entry: 'canary', after: 'canary', header: 'kept' });
    expect(byId.b).toMatchObject({ entry: 'blue', after: 'blue' });
    expect(byId.c).toMatchObject({ entry: 'stable', after: 'stable' });
  });

  it('does not modify the caller\'s options or headers', async () => {
    const q = await freshQueue();
    const pub = grayAmqpPublisher(ch);
    const headers = { 'x-own': '1' };
    const options = { headers };
    await runWithStage('canary', () => pub.sendToQueue(q, Buffer.from('x'), options));
    expect(options).toEqual({ headers: { 'x-own': '1' } });
    expect(headers).toEqual({ 'x-own': '1' });
  });

  it('manual ack later and batches: getMessageGrayContext gives each message its own context', async () => {
    const q = await freshQueue();
    const pub = grayAmqpPublisher(ch);
    const batch: ConsumeMessage[] = [];
    consumers.push(await grayAmqpConsume(ch, q, (msg) => void batch.push(msg), { ack: 'manual' }));
    for (let i = 0; i < 20; i++) await runWithStage(`s${i}`, () => pub.sendToQueue(q, Buffer.from(String(i))));
    await waitFor(() => batch.length === 20);
    // Flushed later, outside any handler: each item runs in its own message's context.
    const out: string[] = [];
    await Promise.all(batch.map((m) => runWithGrayContext(getMessageGrayContext(m)!, async () => {
      await tick();
      out.push(`${m.content.toString()}:${getReleaseStage()}`);
      ch.ack(m);
    })));
    expect(out.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `${i}:s${i}`).sort());
    expect(getGrayContext()).toBeUndefined();
  });

  it('bad input: no headers, junk, joined, oversized, non-text values give the default stage and are counted', async () => {
    const q = await freshQueue();
    const events: GrayInvalidEvent[] = [];
    const policy = createGrayPolicy({ onInvalid: (e) => events.push(e) });
    const seen = new Map<string, string>();
    consumers.push(await grayAmqpConsume(ch, q, (msg) => void seen.set(msg.content.toString(), getReleaseStage()), { policy }));
    const raw: Array<[string, Record<string, unknown> | undefined]> = [
      ['none', undefined],
      ['junk', { 'x-release-stage': '<script>' }],
      // RabbitMQ itself closes the connection for header frames over frame_max (128 KiB): 30 kB is the hostile size that arrives.
      ['huge', { 'x-release-stage': 'c'.repeat(30_000) }],
      ['number', { 'x-release-stage': 42 }],
      ['table', { 'x-release-stage': { nested: 'canary' } }],
      ['empty', { 'x-release-stage': '' }],
      ['joined', { 'x-release-stage': 'canary, beta' }],
      ['buffer', { 'x-release-stage': Buffer.from('canary') }],
    ];
    for (const [id, headers] of raw) ch.sendToQueue(q, Buffer.from(id), headers === undefined ? {} : { headers });
    await waitFor(() => seen.size === raw.length);
    expect(Object.fromEntries(seen)).toEqual({
      none: 'stable', junk: 'stable', huge: 'stable', number: 'stable', table: 'stable', empty: 'stable',
      joined: 'canary', // the first value of a joined list, as for gRPC and HTTP
      buffer: 'canary', // a byte string is read as UTF-8
    });
    expect(events.length).toBeGreaterThanOrEqual(5);
    expect(events.every((e) => e.key === 'x-release-stage' && e.value.length <= 64)).toBe(true);
  });

  it('hostile headers: control keys withheld from untrusted publishers, prototype-named keys inert', async () => {
    const q = await freshQueue();
    const policy = createGrayPolicy({ keyPrefix: 'x-gray-', trustIncoming: false });
    const seen: Array<Record<string, string>> = [];
    consumers.push(await grayAmqpConsume(ch, q, () => void seen.push({ ...getGrayContext()!.entries, stage: getReleaseStage() }), { policy }));
    ch.sendToQueue(q, Buffer.from('h'), {
      headers: { 'x-release-stage': 'canary', 'x-gray-trace': '1', 'x-gray-__proto__': 'p', __proto__: 'q', constructor: 'c', 'x-gray-user': 'u' },
    });
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toEqual({ 'x-gray-__proto__': 'p', 'x-gray-user': 'u', stage: 'stable' });
  });

  it('a poison message is requeued once with its tag, then dead-lettered with its tag', async () => {
    const dlq = await freshQueue();
    const q = await freshQueue({ 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq });
    const pub = grayAmqpPublisher(ch);
    const attempts: Array<{ stage: string; redelivered: boolean }> = [];
    const errors: unknown[] = [];
    consumers.push(await grayAmqpConsume(ch, q, (msg) => {
      attempts.push({ stage: getReleaseStage(), redelivered: msg.fields.redelivered });
      throw new Error('poison');
    }, { onHandlerError: (e) => errors.push(e) }));
    await runWithStage('canary', () => pub.sendToQueue(q, Buffer.from('p')));
    let dead: amqp.GetMessage | false = false;
    await waitFor(() => attempts.length >= 2);
    for (let i = 0; i < 200 && dead === false; i++) {
      dead = await ch.get(dlq, { noAck: true });
      if (dead === false) await new Promise((r) => setTimeout(r, 20));
    }
    expect(attempts).toEqual([{ stage: 'canary', redelivered: false }, { stage: 'canary', redelivered: true }]);
    expect(errors).toHaveLength(2);
    expect(dead && dead.properties.headers?.['x-release-stage']).toBe('canary');
  });
});
