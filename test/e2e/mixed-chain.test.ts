/**
 * A mixed 3-hop chain: client → A (grpc-js, grayServerInterceptor) → B (nice-grpc, grayServerMiddleware,
 * ts-proto generated definition) → C (grpc-js, grayServerInterceptor). A calls B through
 * grayClientInterceptor; B calls C with a nice-grpc client through grayClientMiddleware.
 * 2,000 concurrent calls (500 per call type), each with a unique stage: every hop must report that
 * stage at every phase — 0 lost, 0 crossed.
 */
import * as grpc from '@grpc/grpc-js';
import { createChannel, createClientFactory, createServer, type Channel } from 'nice-grpc';
import type { CallContext } from 'nice-grpc-common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getGrayContext, getReleaseStage } from '../../src/index.js';
import { grayClientInterceptor, grayServerInterceptor } from '../../src/grpc-js/index.js';
import { grayClientMiddleware, grayServerMiddleware, type GrayCallContextExt } from '../../src/nice-grpc/index.js';
import {
  HopDefinition,
  type HopClient as NiceHopClient,
  type HopRecord,
  type HopRequest,
  type HopServiceImplementation,
} from '../../examples/shop/gen/nice/graylane/hop/v1/hop.js';
import { collect, hopClient, startServer, tick, unary, type HopClient, type HopReply, type RunningServer } from '../helpers/grpc.js';
import { hopImpl } from '../helpers/hop-service.js';

const PER_TYPE = 500;
const TIMEOUT_MS = 60_000;

/** What B saw; `instance` holds `context.gray.stage` so the typed extension is checked too. */
function rec(phase: string, context: CallContext & GrayCallContextExt): HopRecord {
  return { service: 'B', instance: context.gray.stage, stage: getReleaseStage(), explicit: getGrayContext()?.explicit ?? false, phase };
}

/** Passes the request stream on to C, recording what the handler sees for every message and at the end. */
async function* tap(requests: AsyncIterable<HopRequest>, context: CallContext & GrayCallContextExt, out: HopRecord[]): AsyncGenerator<HopRequest> {
  for await (const req of requests) {
    out.push(rec('data', context));
    yield req;
  }
  out.push(rec('end', context));
}

/** Hop B: a nice-grpc service calling C with the same call type. */
function niceHop(toC: NiceHopClient): HopServiceImplementation<GrayCallContextExt> {
  return {
    async unary(req, context) {
      const hops = [rec('entry', context)];
      await tick();
      hops.push(rec('after-await', context));
      const down = await toC.unary(req);
      return { id: req.id, hops: [...hops, rec('downstream-result', context), ...down.hops] };
    },
    async *serverStream(req, context) {
      const entry = rec('entry', context);
      await tick();
      const after = rec('after-await', context);
      let resumed: HopRecord[] = [];
      for await (const r of toC.serverStream(req)) {
        yield { id: r.id, hops: [entry, after, ...resumed, rec('downstream-data', context), ...r.hops] };
        resumed = [rec('after-yield', context)];
      }
    },
    async clientStream(requests, context) {
      const hops = [rec('entry', context)];
      const down = await toC.clientStream(tap(requests, context, hops));
      return { id: down.id, hops: [...hops, rec('downstream-result', context), ...down.hops] };
    },
    async *bidi(requests, context) {
      const pending: HopRecord[] = [];
      const entry = rec('entry', context);
      for await (const r of toC.bidi(tap(requests, context, pending))) {
        // The 'data' records taken so far go with this reply; 'end' (recorded by tap) is not reported.
        const own = pending.splice(0).filter((h) => h.phase === 'data');
        yield { id: r.id, hops: [entry, ...own, rec('downstream-data', context), ...r.hops] };
      }
    },
  };
}

const md = (stage: string): grpc.Metadata => {
  const m = new grpc.Metadata();
  m.set('x-release-stage', stage);
  return m;
};

describe('mixed 3-hop chain grpc-js → nice-grpc → grpc-js, all call types, 2,000 concurrent calls', () => {
  const servers: RunningServer[] = [];
  const clients: HopClient[] = [];
  let niceServer: ReturnType<typeof createServer> | undefined;
  let channel: Channel | undefined;
  let entry: HopClient;

  beforeAll(async () => {
    const interceptors = [grayServerInterceptor()];
    const c = await startServer(hopImpl('C'), { interceptors });
    channel = createChannel(c.address);
    const toC = createClientFactory().use(grayClientMiddleware()).create(HopDefinition, channel);
    const b = createServer().use(grayServerMiddleware());
    b.add(HopDefinition, niceHop(toC));
    niceServer = b as unknown as ReturnType<typeof createServer>;
    const bPort = await b.listen('127.0.0.1:0');
    const toB = hopClient(`127.0.0.1:${bPort}`, { interceptors: [grayClientInterceptor()] });
    const a = await startServer(hopImpl('A', { client: toB, mode: 'interceptor' }), { interceptors });
    entry = hopClient(a.address);
    servers.push(a, c);
    clients.push(toB, entry);
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    channel?.close();
    niceServer?.forceShutdown();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('every hop sees the caller\'s stage at every phase: 0 lost, 0 crossed', { timeout: TIMEOUT_MS + 10_000 }, async () => {
    const deadline = Date.now() + TIMEOUT_MS;
    const calls: Array<Promise<{ stage: string; kind: string; replies: HopReply[] }>> = [];
    for (let i = 0; i < PER_TYPE; i++) {
      const u = `s-${4 * i}`;
      calls.push(unary(entry, { id: u }, md(u), { deadline }).then((r) => ({ stage: u, kind: 'unary', replies: [r] })));
      const s = `s-${4 * i + 1}`;
      calls.push(collect<HopReply>(entry.serverStream({ id: s, count: 2 }, md(s), { deadline })).then((replies) => ({ stage: s, kind: 'server', replies })));
      const c = `s-${4 * i + 2}`;
      calls.push(new Promise<HopReply>((resolve, reject) => {
        const call = entry.clientStream(md(c), (err, res) => (err ? reject(err) : resolve(res!)));
        call.write({ id: c });
        call.end();
      }).then((r) => ({ stage: c, kind: 'client', replies: [r] })));
      const d = `s-${4 * i + 3}`;
      const bidi = entry.bidi(md(d), { deadline });
      const done = collect<HopReply>(bidi);
      bidi.write({ id: d });
      bidi.write({ id: d });
      bidi.end();
      calls.push(done.then((replies) => ({ stage: d, kind: 'bidi', replies })));
    }
    const results = await Promise.all(calls);
    expect(results).toHaveLength(4 * PER_TYPE);
    expect(new Set(results.map((r) => r.stage)).size).toBe(4 * PER_TYPE);

    // Records per call: unary A3+B3+C2; server stream (A3+B3+C2)+(A3+B4+C2); client stream A5+B4+C4; bidi A4+B6+C4.
    const expected: Record<string, number> = { unary: 8, server: 17, client: 13, bidi: 14 };
    let lost = 0;
    let crossed = 0;
    const wrongCount: string[] = [];
    for (const { stage, kind, replies } of results) {
      const hops = replies.flatMap((r) => r.hops);
      if (hops.length !== expected[kind]) wrongCount.push(`${kind} ${stage}: ${hops.length} records`);
      for (const reply of replies) expect(new Set(reply.hops.map((h) => h.service))).toEqual(new Set(['A', 'B', 'C']));
      for (const hop of hops) {
        const seen = hop.service === 'B' && hop.instance !== hop.stage ? `${hop.stage}|${hop.instance}` : hop.stage;
        if (seen === 'stable' && !hop.explicit) lost++;
        else if (seen !== stage || !hop.explicit) crossed++;
      }
    }
    expect({ lost, crossed, wrongCount }).toEqual({ lost: 0, crossed: 0, wrongCount: [] });
  });
});
