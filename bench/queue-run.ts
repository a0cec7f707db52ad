/**
 * One measurement of bench/queues.ts, in its own process: publish N messages to a real broker and
 * consume them all, either with graylane (`graylane/amqp`, `graylane/nats`, `graylane/bullmq`) or
 * with the same code by hand (an AsyncLocalStorage of our own, one header stamped at publish, read,
 * checked and run in at consume, acked after the handler). Prints one JSON line: CPU µs per message.
 * Usage: node bench/.out/queue-run.js rabbitmq|nats|bullmq graylane|hand MESSAGES WARMUP
 * @packageDocumentation
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { getReleaseStage, runWithStage } from 'graylane';

const [broker, variant, nArg, warmArg] = process.argv.slice(2);
const N = Number(nArg);
const WARMUP = Number(warmArg);
const KEY = 'x-release-stage';
const STAGES = ['canary', 'blue', 'v2', undefined] as const;
const WINDOW = 256;
const VALID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const als = new AsyncLocalStorage<string>();
/** By hand: the stage of a consumed header (bad or missing → stable). */
const handStage = (v: unknown): string => (typeof v === 'string' && VALID.test(v) ? v : typeof v === 'object' && v !== null && Buffer.isBuffer(v) && VALID.test(v.toString()) ? v.toString() : 'stable');
const inStage = <T>(stage: string | undefined, f: () => T): T => (stage === undefined ? f() : variant === 'hand' ? als.run(stage, f) : runWithStage(stage, f));
const seen = (): string => (variant === 'hand' ? als.getStore() ?? 'stable' : getReleaseStage());

interface Harness {
  publish(i: number, body: Buffer): Promise<unknown>;
  close(): Promise<void>;
}

let consumed = 0;
let lost = 0;
let target = 0;
let done: () => void = () => undefined;
/** The handler both variants run: checks the stage it runs in against the one in the body. */
function handle(body: Buffer): void {
  const stage = body.toString().split(':')[1] || 'stable';
  if (seen() !== stage) lost++;
  if (++consumed === target) done();
}
const bodyOf = (i: number): Buffer => Buffer.from(`m${i}:${STAGES[i % STAGES.length] ?? ''}:${'x'.repeat(32)}`);

async function rabbitmq(): Promise<Harness> {
  const amqp = (await import('amqplib')).default;
  const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  const queue = `graylane-bench-${process.pid}-${randomBytes(3).toString('hex')}`;
  const pub = await conn.createChannel();
  await pub.assertQueue(queue, { durable: false, arguments: { 'x-expires': 60_000 } });
  const sub = await conn.createChannel();
  await sub.prefetch(WINDOW);
  const drain = () => new Promise((ok) => pub.once('drain', ok));
  let send: (body: Buffer) => Promise<boolean>;
  if (variant === 'hand') {
    send = async (body) => {
      const stage = als.getStore();
      return pub.sendToQueue(queue, body, stage === undefined ? {} : { headers: { [KEY]: stage } });
    };
    await sub.consume(queue, (msg) => {
      if (msg === null) return;
      void Promise.resolve(als.run(handStage(msg.properties.headers?.[KEY]), handle, msg.content)).then(() => sub.ack(msg));
    });
  } else {
    const { grayAmqpConsume, grayAmqpPublisher } = await import('graylane/amqp');
    const publisher = grayAmqpPublisher(pub);
    send = (body) => publisher.sendToQueue(queue, body);
    await grayAmqpConsume(sub, queue, (msg) => handle(msg.content));
  }
  return {
    async publish(i, body) {
      if (!(await inStage(STAGES[i % STAGES.length], () => send(body)))) await drain();
    },
    async close() {
      await pub.deleteQueue(queue).catch(() => undefined);
      await conn.close();
    },
  };
}

async function nats(): Promise<Harness> {
  const { AckPolicy, RetentionPolicy, connect, headers } = await import('nats');
  const nc = await connect({ servers: '127.0.0.1:4222' });
  const jsm = await nc.jetstreamManager();
  const id = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const stream = `GRAYLANE_BENCH_${id}`;
  const subject = `graylane.bench.${id}`;
  await jsm.streams.add({ name: stream, subjects: [subject], retention: RetentionPolicy.Workqueue });
  await jsm.consumers.add(stream, { durable_name: 'w', filter_subject: subject, ack_policy: AckPolicy.Explicit, max_ack_pending: 4 * WINDOW });
  const js = nc.jetstream();
  let send: (body: Buffer) => Promise<unknown>;
  if (variant === 'hand') {
    send = (body) => {
      const stage = als.getStore();
      if (stage === undefined) return js.publish(subject, body);
      const h = headers();
      h.set(KEY, stage);
      return js.publish(subject, body, { headers: h });
    };
    const c = await js.consumers.get(stream, 'w');
    await c.consume({
      max_messages: WINDOW,
      callback: (msg) => {
        void Promise.resolve(als.run(handStage(msg.headers?.get(KEY)), handle, Buffer.from(msg.data))).then(() => msg.ack());
      },
    });
  } else {
    const { grayNatsConsume, grayNatsPublisher } = await import('graylane/nats');
    const publisher = grayNatsPublisher(js);
    send = (body) => publisher.publish(subject, body);
    await grayNatsConsume(js, stream, 'w', (msg) => handle(Buffer.from(msg.data)), { maxMessages: WINDOW });
  }
  return {
    publish: (i, body) => inStage(STAGES[i % STAGES.length], () => send(body)),
    async close() {
      await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    },
  };
}

async function bullmq(): Promise<Harness> {
  const { Queue, Worker } = await import('bullmq');
  const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
  const name = `graylane-bench-${process.pid}-${randomBytes(3).toString('hex')}`;
  const queue = new Queue(name, { connection });
  const opts = { removeOnComplete: true, removeOnFail: true };
  let send: (body: Buffer) => Promise<unknown>;
  let worker: { close(): Promise<void> };
  if (variant === 'hand') {
    // The same place graylane keeps the keys (job.opts.graylane), so both move the same bytes.
    send = (body) => {
      const stage = als.getStore();
      return queue.add('m', body.toString(), (stage === undefined ? opts : { ...opts, graylane: { [KEY]: stage } }) as typeof opts);
    };
    worker = new Worker(name, async (job) => als.run(handStage((job.opts as { graylane?: Record<string, unknown> }).graylane?.[KEY]), handle, Buffer.from(job.data as string)), { connection, concurrency: 50 });
  } else {
    const { grayBullmqProducer, grayBullmqWorker } = await import('graylane/bullmq');
    const producer = grayBullmqProducer(queue);
    send = (body) => producer.add('m', body.toString(), opts);
    worker = await grayBullmqWorker(name, (job) => handle(Buffer.from(job.data as string)), { worker: { connection, concurrency: 50 } });
  }
  return {
    publish: (i, body) => inStage(STAGES[i % STAGES.length], () => send(body)),
    async close() {
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    },
  };
}

/** Publishes `count` messages (at most {@link WINDOW} in flight) and resolves when all were handled. */
async function pass(h: Harness, count: number): Promise<void> {
  consumed = 0;
  target = count;
  const all = new Promise<void>((ok) => { done = ok; });
  let inFlight: Array<Promise<unknown>> = [];
  for (let i = 0; i < count; i++) {
    inFlight.push(h.publish(i, bodyOf(i)));
    if (inFlight.length >= WINDOW) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  await all;
}

async function main(): Promise<void> {
  if (!['graylane', 'hand'].includes(variant ?? '') || !(N > 0)) throw new Error('usage: queue-run.js rabbitmq|nats|bullmq graylane|hand MESSAGES WARMUP');
  const make = { rabbitmq, nats, bullmq }[broker as 'rabbitmq'];
  if (make === undefined) throw new Error(`unknown broker ${broker}`);
  const h = await make();
  try {
    await pass(h, WARMUP);
    lost = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await pass(h, N);
    const cpu = process.cpuUsage(cpu0);
    const ms = performance.now() - t0;
    process.stdout.write(`${JSON.stringify({ broker, variant, messages: N, cpuUsPerMsg: (cpu.user + cpu.system) / N, msgPerSec: N / (ms / 1000), lost })}\n`);
  } finally {
    await h.close();
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
