/**
 * A 3-hop chain client → A → B → C. A calls B through grayClientInterceptor; B calls C with
 * forwardGrayMetadata(call). 2,000 concurrent calls (500 per call type), each with a unique stage:
 * every hop must report that stage at every phase — 0 lost, 0 crossed.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grayClientInterceptor, grayServerInterceptor } from '../../src/grpc-js/index.js';
import { collect, hopClient, startServer, unary, type HopClient, type HopReply, type RunningServer } from '../helpers/grpc.js';
import { hopImpl } from '../helpers/hop-service.js';

const PER_TYPE = 500;
const md = (stage: string) => {
  const m = new grpc.Metadata();
  m.set('x-release-stage', stage);
  return m;
};

describe('3-hop chain, all call types, 2,000 concurrent calls', () => {
  const servers: RunningServer[] = [];
  const clients: HopClient[] = [];
  let entry: HopClient;

  beforeAll(async () => {
    const interceptors = [grayServerInterceptor()];
    const c = await startServer(hopImpl('C'), { interceptors });
    const toC = hopClient(c.address);
    const b = await startServer(hopImpl('B', { client: toC, mode: 'forward' }), { interceptors });
    const toB = hopClient(b.address, { interceptors: [grayClientInterceptor()] });
    const a = await startServer(hopImpl('A', { client: toB, mode: 'interceptor' }), { interceptors });
    entry = hopClient(a.address);
    servers.push(a, b, c);
    clients.push(toC, toB, entry);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('every hop sees the caller stage at every phase', async () => {
    const calls: Array<Promise<{ stage: string; replies: HopReply[] }>> = [];
    for (let i = 0; i < PER_TYPE; i++) {
      const u = `u-${i}`;
      calls.push(unary(entry, { id: u }, md(u)).then((r) => ({ stage: u, replies: [r] })));
      const s = `s-${i}`;
      calls.push(collect<HopReply>(entry.serverStream({ id: s, count: 2 }, md(s))).then((replies) => ({ stage: s, replies })));
      const c = `c-${i}`;
      calls.push(new Promise<HopReply>((resolve, reject) => {
        const call = entry.clientStream(md(c), (err, res) => (err ? reject(err) : resolve(res!)));
        call.write({ id: c });
        call.end();
      }).then((r) => ({ stage: c, replies: [r] })));
      const d = `d-${i}`;
      const bidi = entry.bidi(md(d));
      const done = collect<HopReply>(bidi);
      bidi.write({ id: d });
      bidi.write({ id: d });
      bidi.end();
      calls.push(done.then((replies) => ({ stage: d, replies })));
    }
    const results = await Promise.all(calls);
    expect(results).toHaveLength(4 * PER_TYPE);

    let lost = 0;
    let crossed = 0;
    let checked = 0;
    for (const { stage, replies } of results) {
      expect(replies.length).toBeGreaterThan(0);
      for (const reply of replies) {
        const services = new Set(reply.hops.map((h) => h.service));
        expect(services).toEqual(new Set(['A', 'B', 'C']));
        for (const hop of reply.hops) {
          checked++;
          if (hop.stage === 'stable' && !hop.explicit) lost++;
          else if (hop.stage !== stage) crossed++;
        }
      }
    }
    expect({ lost, crossed }).toEqual({ lost: 0, crossed: 0 });
    // Records per call: unary 3+3+2; server stream 2 replies × (3+3+2); client stream 5+5+4; bidi 2 replies × (2+2+2).
    expect(checked).toBe(PER_TYPE * (8 + 2 * 8 + 14 + 2 * 6));
  });
});
