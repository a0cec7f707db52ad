/**
 * graylane/nats against a real NATS JetStream: publishing carries the gray context in message
 * headers, consumers run inside it (after await, acked later, in batches), and hostile or broken
 * headers give the default stage, counted — never an exception, never a crossed stage. A poison
 * message follows JetStream's own redelivery and max_deliver, its tag kept.
 */
import { connect as tcpConnect } from 'node:net';
import { headers as natsHeaders, type JsMsg } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrayPolicy, getGrayContext, getReleaseStage, runWithGrayContext, runWithStage, type GrayInvalidEvent } from 'graylane';
import { getMessageGrayContext, grayNatsConsume, grayNatsPublisher, type GrayNatsConsumer } from 'graylane/nats';
import { natsFixture, waitFor, type NatsFixture } from './setup.js';

let f: NatsFixture;
const consumers: GrayNatsConsumer[] = [];

beforeAll(async () => {
  f = await natsFixture();
});
afterAll(async () => {
  for (const c of consumers) await c.close();
  await f?.close();
});

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));
const text = (m: JsMsg): string => new TextDecoder().decode(m.data);

/** Publishes with raw NATS protocol (HPUB), header block exactly as given: what a hostile publisher can send. */
function rawPublish(subject: string, headerBlock: string, payload: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host: f.broker.host, port: f.broker.port });
    const hdr = Buffer.from(headerBlock, 'latin1');
    const body = Buffer.from(payload);
    sock.once('error', reject);
    sock.once('data', () => {
      sock.write(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":false,"protocol":1}\r\n`);
      sock.write(`HPUB ${subject} ${hdr.length} ${hdr.length + body.length}\r\n`);
      sock.write(Buffer.concat([hdr, body, Buffer.from('\r\nPING\r\n')]));
      sock.on('data', (d: Buffer) => {
        if (d.toString().includes('PONG')) sock.end(() => resolve());
      });
    });
  });
}

describe('graylane/nats carry', () => {
  it('a message published inside a context is handled inside it, after await too; the publisher\'s own headers win', async () => {
    const q = await f.queue();
    const pub = grayNatsPublisher(f.js);
    const seen: Array<{ id: string; entry: string; after: string; own: string }> = [];
    consumers.push(await grayNatsConsume(f.js, q.stream, q.consumer, async (msg) => {
      const entry = getReleaseStage();
      await tick();
      seen.push({ id: text(msg), entry, after: getReleaseStage(), own: msg.headers?.get('x-own') ?? '' });
    }));
    const own = natsHeaders();
    own.set('x-own', 'kept');
    await runWithStage('canary', () => pub.publish(q.subject, 'a', { headers: own }));
    const blue = natsHeaders();
    blue.set('X-Release-Stage', 'blue'); // any case: the publisher's value wins
    await runWithStage('canary', () => pub.publish(q.subject, 'b', { headers: blue }));
    await pub.publish(q.subject, 'c');
    await waitFor(() => seen.length === 3);
    const byId = Object.fromEntries(seen.map((s) => [s.id, s]));
    expect(byId.a).toEqual({ id: 'a', entry: 'canary', after: 'canary', own: 'kept' });
    expect(byId.b).toMatchObject({ entry: 'blue', after: 'blue' });
    expect(byId.c).toMatchObject({ entry: 'stable', after: 'stable' });
  });

  it('does not modify the caller\'s options or headers', async () => {
    const q = await f.queue();
    const pub = grayNatsPublisher(f.js);
    const h = natsHeaders();
    h.set('x-own', '1');
    const options = { headers: h, msgID: 'one' };
    await runWithStage('canary', () => pub.publish(q.subject, 'x', options));
    expect(options).toEqual({ headers: h, msgID: 'one' });
    expect(h.keys()).toEqual(['x-own']);
  });

  it('manual ack later and batches: getMessageGrayContext gives each message its own context', async () => {
    const q = await f.queue();
    const pub = grayNatsPublisher(f.js);
    const batch: JsMsg[] = [];
    consumers.push(await grayNatsConsume(f.js, q.stream, q.consumer, (msg) => void batch.push(msg), { ack: 'manual' }));
    for (let i = 0; i < 20; i++) await runWithStage(`s${i}`, () => pub.publish(q.subject, String(i)));
    await waitFor(() => batch.length === 20);
    const out: string[] = [];
    await Promise.all(batch.map((m) => runWithGrayContext(getMessageGrayContext(m)!, async () => {
      await tick();
      out.push(`${text(m)}:${getReleaseStage()}`);
      m.ack();
    })));
    expect(out.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `${i}:s${i}`).sort());
    expect(getGrayContext()).toBeUndefined();
  });

  it('bad input: no headers, junk, joined, oversized, case, raw malformed header blocks give the default stage (or the first valid value), counted', async () => {
    const q = await f.queue();
    const events: GrayInvalidEvent[] = [];
    const policy = createGrayPolicy({ onInvalid: (e) => events.push(e) });
    const seen = new Map<string, string>();
    consumers.push(await grayNatsConsume(f.js, q.stream, q.consumer, (msg) => void seen.set(text(msg), getReleaseStage()), { policy }));
    const send = async (id: string, pairs: Array<[string, string]> | undefined): Promise<void> => {
      if (pairs === undefined) return void (await f.js.publish(q.subject, id));
      const h = natsHeaders();
      for (const [k, v] of pairs) h.append(k, v);
      await f.js.publish(q.subject, id, { headers: h });
    };
    await send('none', undefined);
    await send('junk', [['x-release-stage', '<script>']]);
    // JetStream refuses header blocks over 64 KiB: 60 kB is the hostile size that is stored and delivered.
    await send('huge', [['x-release-stage', 'c'.repeat(60_000)]]);
    await send('empty', [['x-release-stage', '']]);
    await send('joined', [['x-release-stage', 'canary, beta']]);
    await send('twice', [['x-release-stage', 'canary'], ['x-release-stage', 'beta']]);
    await send('upper', [['X-RELEASE-STAGE', 'canary']]);
    await send('proto', [['__proto__', 'canary'], ['constructor', 'x']]);
    await rawPublish(q.subject, 'NATS/1.0\r\nno colon here\r\n: \r\nx-release-stage:\r\n\r\n', 'raw-broken');
    await rawPublish(q.subject, 'NATS/1.0 999 weird\r\nx-release-stage: \u00ff\u00fe\r\n\r\n', 'raw-binary');
    await rawPublish(q.subject, 'NATS/1.0\r\nX-Release-Stage:   canary  \r\n\r\n', 'raw-spaces');
    await waitFor(() => seen.size === 11);
    expect(Object.fromEntries(seen)).toEqual({
      none: 'stable', junk: 'stable', huge: 'stable', empty: 'stable',
      joined: 'canary', // the first value of a joined list, as for gRPC and HTTP
      twice: 'canary', // a repeated header: its first value
      upper: 'canary', // header names match case-insensitively
      proto: 'stable',
      'raw-broken': 'stable', 'raw-binary': 'stable',
      'raw-spaces': 'canary', // nats.js trims header values
    });
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(events.every((e) => e.key === 'x-release-stage' && e.value.length <= 64)).toBe(true);
  });

  it('hostile headers: control keys withheld from untrusted publishers, prototype-named keys inert', async () => {
    const q = await f.queue();
    const policy = createGrayPolicy({ keyPrefix: 'x-gray-', trustIncoming: false });
    const seen: Array<Record<string, string>> = [];
    consumers.push(await grayNatsConsume(f.js, q.stream, q.consumer, () => void seen.push({ ...getGrayContext()!.entries, stage: getReleaseStage() }), { policy }));
    const h = natsHeaders();
    for (const [k, v] of [['x-release-stage', 'canary'], ['x-gray-trace', '1'], ['x-gray-__proto__', 'p'], ['__proto__', 'q'], ['constructor', 'c'], ['X-Gray-User', 'u']]) h.set(k!, v!);
    await f.js.publish(q.subject, 'h', { headers: h });
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toEqual({ 'x-gray-__proto__': 'p', 'x-gray-user': 'u', stage: 'stable' });
  });

  it('a poison message is redelivered with its tag until max_deliver, then left in the stream with its tag (MAX_DELIVERIES advisory)', async () => {
    const q = await f.queue({ max_deliver: 3 });
    const advisory = f.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${q.stream}.${q.consumer}`, { max: 1 });
    const pub = grayNatsPublisher(f.js);
    const attempts: Array<{ stage: string; delivery: number }> = [];
    const errors: unknown[] = [];
    consumers.push(await grayNatsConsume(f.js, q.stream, q.consumer, (msg) => {
      attempts.push({ stage: getReleaseStage(), delivery: msg.info.redeliveryCount });
      throw new Error('poison');
    }, { onHandlerError: (e) => errors.push(e) }));
    await runWithStage('canary', () => pub.publish(q.subject, 'p'));
    let seq = 0;
    for await (const m of advisory) seq = (JSON.parse(new TextDecoder().decode(m.data)) as { stream_seq: number }).stream_seq;
    expect(attempts).toEqual([{ stage: 'canary', delivery: 1 }, { stage: 'canary', delivery: 2 }, { stage: 'canary', delivery: 3 }]);
    expect(errors).toHaveLength(3);
    const stored = await f.jsm.streams.getMessage(q.stream, { seq });
    expect(stored.header.get('x-release-stage')).toBe('canary');
  });
});
