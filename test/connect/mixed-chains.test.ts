/**
 * Mixed chains through Connect-ES, 2,000 concurrent calls each (500 per call type) with unique
 * stages: every hop must report the caller's stage at every phase — 0 lost, 0 crossed.
 *  1. grpc-js client → Connect server (gRPC protocol) → nice-grpc → grpc-js leaf
 *  2. Connect client (Connect protocol) → Connect server → Connect client (gRPC-Web) → Connect leaf
 *  3. Hono edge → Connect (Connect protocol) → grpc-js leaf (reached by a Connect client over gRPC)
 */
import * as grpc from '@grpc/grpc-js';
import http from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { createChannel, createClientFactory, createServer, type Channel } from 'nice-grpc';
import type { CallContext } from 'nice-grpc-common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getReleaseStage, runWithStage } from 'graylane';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/connect';
import { grayServerInterceptor as grpcServerInterceptor } from 'graylane/grpc-js';
import { grayHonoMiddleware } from 'graylane/http';
import { grayClientMiddleware, grayServerMiddleware, type GrayCallContextExt } from 'graylane/nice-grpc';
import { HopDefinition, type HopServiceImplementation } from '../../examples/shop/gen/nice/graylane/hop/v1/hop.js';
import { collect, hopClient, startServer, type HopClient, type RunningServer } from '../helpers/grpc.js';
import { hopImpl } from '../helpers/hop-service.js';
import { listen, type RunningHttp } from '../http/helpers.js';
import {
  asDownstream, connectClient, connectHop, requests, startConnectServer,
  type ConnectServer, type HopDownstream, type Rec, type Reply,
} from './helpers.js';

const PER_TYPE = 500;
const KINDS = ['unary', 'server', 'client', 'bidi'] as const;
type Kind = (typeof KINDS)[number];
interface Result { stage: string; kind: Kind; hops: Rec[]; callerAfter?: string[] }
const TOKEN = 'chain-token';

/** Records whose stage (or handler-context stage, where the hop reports one) is not `stage`. */
function crossed(hops: readonly Rec[], stage: string): string[] {
  return hops
    .filter((h) => h.stage !== stage || !h.explicit || (h.instance !== h.service && h.instance !== stage))
    .map((h) => `${h.service}/${h.phase}: ${h.stage}|${h.instance}`);
}

/** Runs 4 × PER_TYPE calls at once and checks every record against its call's stage and the phases of a reference call. */
async function check(services: string[], call: (kind: Kind, stage: string) => Promise<Result>): Promise<void> {
  const reference = new Map<Kind, string>();
  for (const kind of KINDS) reference.set(kind, (await call(kind, 'warm-up')).hops.map((h) => `${h.service}/${h.phase}`).sort().join(','));
  const calls: Array<Promise<Result>> = [];
  for (let i = 0; i < PER_TYPE; i++) KINDS.forEach((kind, k) => calls.push(call(kind, `s-${4 * i + k}`)));
  const results = await Promise.all(calls);
  expect(new Set(results.map((r) => r.stage)).size).toBe(4 * PER_TYPE);
  const bad: string[] = [];
  for (const r of results) {
    const phases = r.hops.map((h) => `${h.service}/${h.phase}`).sort().join(',');
    if (phases !== reference.get(r.kind)) bad.push(`${r.kind} ${r.stage}: phases ${phases}`);
    bad.push(...crossed(r.hops, r.stage).map((m) => `${r.kind} ${r.stage}: ${m}`));
    for (const seen of r.callerAfter ?? []) if (seen !== r.stage) bad.push(`${r.kind} ${r.stage}: caller saw ${seen} while iterating`);
  }
  expect(bad.slice(0, 20)).toEqual([]);
  // Not vacuous: every call type's reference reaches every hop of the chain.
  for (const kind of KINDS) expect(new Set(reference.get(kind)!.split(',').map((p) => p.split('/')[0]))).toEqual(new Set(services));
}

const md = (stage: string): grpc.Metadata => {
  const m = new grpc.Metadata();
  m.set('x-release-stage', stage);
  return m;
};

/** A grpc-js Hop call of `kind`, all replies' records. */
async function grpcCall(client: HopClient, kind: Kind, stage: string): Promise<Rec[]> {
  const deadline = Date.now() + 60_000;
  if (kind === 'unary') {
    return new Promise((resolve, reject) => client.unary({ id: stage }, md(stage), { deadline }, (err, res) => (err ? reject(err) : resolve(res!.hops))));
  }
  if (kind === 'server') return (await collect<Reply>(client.serverStream({ id: stage, count: 2 }, md(stage), { deadline }))).flatMap((r) => r.hops);
  if (kind === 'client') {
    return new Promise((resolve, reject) => {
      const call = client.clientStream(md(stage), (err, res) => (err ? reject(err) : resolve(res!.hops)));
      call.write({ id: stage });
      call.write({ id: stage });
      call.end();
    });
  }
  const bidi = client.bidi(md(stage), { deadline });
  const done = collect<Reply>(bidi);
  bidi.write({ id: stage });
  bidi.write({ id: stage });
  bidi.end();
  return (await done).flatMap((r) => r.hops);
}

/** A Hop call of `kind` through an async-iterable client (Connect, nice-grpc); records what the caller sees after each step. */
async function iterableCall(client: HopDownstream, kind: Kind, stage: string): Promise<Result> {
  const callerAfter: string[] = [];
  const each = async (it: AsyncIterable<Reply>): Promise<Rec[]> => {
    const hops: Rec[] = [];
    for await (const r of it) {
      hops.push(...r.hops);
      await Promise.resolve();
      callerAfter.push(getReleaseStage());
    }
    return hops;
  };
  let hops: Rec[];
  if (kind === 'unary') hops = (await client.unary({ id: stage })).hops;
  else if (kind === 'server') hops = await each(client.serverStream({ id: stage, count: 2 }));
  else if (kind === 'client') hops = (await client.clientStream(requests(stage, stage))).hops;
  else hops = await each(client.bidi(requests(stage, stage)));
  callerAfter.push(getReleaseStage());
  return { stage, kind, hops, callerAfter };
}

const niceInstance = (context: CallContext & Partial<GrayCallContextExt>): string | undefined => context.gray?.stage;

describe('chain 1: grpc-js client → Connect (gRPC protocol) → nice-grpc → grpc-js', () => {
  let leaf: RunningServer;
  let channel: Channel;
  let nice: ReturnType<typeof createServer>;
  let a: ConnectServer;
  let entry: HopClient;
  beforeAll(async () => {
    leaf = await startServer(hopImpl('C'), { interceptors: [grpcServerInterceptor()] });
    channel = createChannel(leaf.address);
    const toC = createClientFactory().use(grayClientMiddleware()).create(HopDefinition, channel);
    const b = createServer().use(grayServerMiddleware());
    b.add(HopDefinition, connectHop('B', toC as unknown as HopDownstream, niceInstance) as unknown as HopServiceImplementation<GrayCallContextExt>);
    nice = b as unknown as ReturnType<typeof createServer>;
    const bPort = await b.listen('127.0.0.1:0');
    const bChannel = createChannel(`127.0.0.1:${bPort}`);
    const toB = createClientFactory().use(grayClientMiddleware()).create(HopDefinition, bChannel);
    a = await startConnectServer(connectHop('A', toB as unknown as HopDownstream), [grayServerInterceptor({ trustIncoming: true })]);
    entry = hopClient(`127.0.0.1:${a.port}`);
  });
  afterAll(async () => {
    entry.close();
    await a.close();
    nice.forceShutdown();
    channel.close();
    await leaf.close();
  });

  it('2,000 concurrent calls, all four types: 0 lost, 0 crossed', { timeout: 120_000 }, async () => {
    await check(['A', 'B', 'C'], async (kind, stage) => ({ stage, kind, hops: await grpcCall(entry, kind, stage) }));
  });
});

describe('chain 2: Connect client (Connect) → Connect → Connect client (gRPC-Web) → Connect leaf', () => {
  let leaf: ConnectServer;
  let a: ConnectServer;
  beforeAll(async () => {
    leaf = await startConnectServer(connectHop('B'), [grayServerInterceptor({ trustIncoming: true })]);
    const toB = connectClient('grpc-web', leaf.url, [grayClientInterceptor()]);
    a = await startConnectServer(connectHop('A', asDownstream(toB)), [grayServerInterceptor({ trustIncoming: true })]);
  });
  afterAll(async () => {
    await a.close();
    await leaf.close();
  });

  it('2,000 concurrent calls, all four types, the caller iterating in its own context: 0 lost, 0 crossed', { timeout: 120_000 }, async () => {
    const entry = asDownstream(connectClient('connect', a.url, [grayClientInterceptor()]));
    await check(['A', 'B'], (kind, stage) => runWithStage(stage, () => iterableCall(entry, kind, stage)));
  });
});

describe('chain 3: Hono edge → Connect → grpc-js', () => {
  let leaf: RunningServer;
  let a: ConnectServer;
  let edge: RunningHttp;
  beforeAll(async () => {
    leaf = await startServer(hopImpl('C'), { interceptors: [grpcServerInterceptor()] });
    const toC = connectClient('grpc', `http://${leaf.address}`, [grayClientInterceptor()]);
    a = await startConnectServer(connectHop('A', asDownstream(toC)), [grayServerInterceptor({ trustIncoming: true })]);
    const toA = asDownstream(connectClient('connect', a.url, [grayClientInterceptor()]));
    const app = new Hono();
    app.use(grayHonoMiddleware({ trust: { tokenHeader: 'x-gray-token', tokens: [TOKEN] } }));
    // Streams one JSON line per downstream reply, written from hono/streaming's callback.
    app.get('/chain/:kind', (c) => stream(c, async (s) => {
      const kind = c.req.param('kind') as Kind;
      const edgeRec: Rec = { service: 'edge', instance: 'edge', stage: getReleaseStage(), explicit: true, phase: 'entry' };
      const result = await iterableCall(toA, kind, c.req.query('id') ?? '');
      await s.writeln(JSON.stringify({ hops: [edgeRec, ...result.hops], callerAfter: result.callerAfter, last: getReleaseStage() }));
    }));
    edge = await listen(createAdaptorServer({ fetch: app.fetch }) as http.Server);
  });
  afterAll(async () => {
    await edge.close();
    await a.close();
    await leaf.close();
  });

  it('2,000 concurrent requests, all four Connect call types behind the edge: 0 lost, 0 crossed', { timeout: 120_000 }, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    try {
      await check(['edge', 'A', 'C'], (kind, stage) => new Promise<Result>((resolve, reject) => {
        const req = http.get({
          host: '127.0.0.1', port: edge.port, agent, path: `/chain/${kind}?id=${stage}`,
          headers: { 'x-release-stage': stage, 'x-gray-token': TOKEN },
        }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            const out = JSON.parse(body) as { hops: Rec[]; callerAfter: string[]; last: string };
            resolve({ stage, kind, hops: out.hops, callerAfter: [...out.callerAfter, out.last] });
          });
        });
        req.on('error', reject);
      }));
    } finally {
      agent.destroy();
    }
  });
});
