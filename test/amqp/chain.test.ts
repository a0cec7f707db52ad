/**
 * HTTP edge → grpc-js service that publishes to RabbitMQ → graylane/amqp consumer → grpc-js leaf:
 * the leaf sees the stage that entered at the edge. 2,000 messages with unique stages: 0 lost tags,
 * 0 crossed.
 */
import { createServer, request, type Server } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grayAmqpConsume, grayAmqpPublisher, type GrayAmqpConsumer } from 'graylane/amqp';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import { grayHttpMiddleware } from 'graylane/http';
import { hopClient, startServer, unary, type HopClient, type HopReply, type HopRequest, type RunningServer } from '../helpers/grpc.js';
import { hopImpl } from '../helpers/hop-service.js';
import { startRabbit, uniqueName, type Broker } from '../helpers/brokers.js';

const N = 2000;
let broker: Broker;
let conn: ChannelModel;
let http: Server;
let httpPort = 0;
const servers: RunningServer[] = [];
const clients: HopClient[] = [];
let consumer: GrayAmqpConsumer;
const leafSaw = new Map<string, string>();

beforeAll(async () => {
  broker = await startRabbit();
  conn = await amqp.connect(broker.url);
  const queue = uniqueName('chain');
  const pubCh = await conn.createChannel();
  await pubCh.assertQueue(queue, { durable: false, arguments: { 'x-expires': 120_000 } });
  const publisher = grayAmqpPublisher(pubCh);
  const interceptors = [grayServerInterceptor()];
  // The leaf: a plain Hop service; its reply says which stage it saw.
  const leaf = await startServer(hopImpl('leaf'), { interceptors });
  const toLeaf = hopClient(leaf.address, { interceptors: [grayClientInterceptor()] });
  // The worker: consumes and calls the leaf inside the message's context.
  const consCh = await conn.createChannel();
  await consCh.prefetch(50);
  consumer = await grayAmqpConsume(consCh, queue, async (msg) => {
    const reply = await unary(toLeaf, { id: msg.content.toString() });
    leafSaw.set(reply.id, reply.hops[0]!.stage);
  });
  // The orders service: publishes an event per call, inside the call's context.
  const orders = await startServer({
    unary(call: grpc.ServerUnaryCall<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
      publisher.sendToQueue(queue, Buffer.from(call.request.id)).then(() => cb(null, { id: call.request.id, hops: [] }), (e: grpc.ServiceError) => cb(e));
    },
  }, { interceptors });
  const toOrders = hopClient(orders.address, { interceptors: [grayClientInterceptor()] });
  servers.push(leaf, orders);
  clients.push(toLeaf, toOrders);
  const gray = grayHttpMiddleware({ trustIncoming: true });
  http = createServer((req, res) => gray(req, res, () => {
    unary(toOrders, { id: req.url!.slice(1) }).then(() => res.end('ok'), () => res.writeHead(500).end());
  }));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpPort = (http.address() as { port: number }).port;
});
afterAll(async () => {
  await consumer?.close();
  http?.close();
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.close()));
  await conn?.close();
  await broker?.close();
});

function get(path: string, stage: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: httpPort, path, headers: { 'x-release-stage': stage } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP edge → grpc-js → RabbitMQ → consumer → grpc-js leaf', () => {
  it('2,000 unique stages reach the leaf: 0 lost, 0 crossed', async () => {
    for (let start = 0; start < N; start += 100) {
      const codes = await Promise.all(Array.from({ length: 100 }, (_, k) => get(`/m${start + k}`, `st-${start + k}`)));
      expect(codes.every((c) => c === 200)).toBe(true);
    }
    const deadline = Date.now() + 30_000;
    while (leafSaw.size < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    let lost = 0;
    let crossed = 0;
    for (let i = 0; i < N; i++) {
      const saw = leafSaw.get(`m${i}`);
      if (saw === undefined || saw === 'stable') lost++;
      else if (saw !== `st-${i}`) crossed++;
    }
    expect({ handled: leafSaw.size, lost, crossed }).toEqual({ handled: N, lost: 0, crossed: 0 });
  });
});
