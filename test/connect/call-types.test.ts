/**
 * graylane/connect server and client interceptors over the Connect, gRPC and gRPC-Web protocols:
 * every call type's handler sees the caller's stage at entry, after await, after each yield and
 * inside `for await` over the request stream; `getCallGrayContext(context)` agrees; concurrent
 * calls with unique stages never cross.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithStage } from 'graylane';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/connect';
import {
  connectClient, connectHop, drain, requests, stageHeaders, startConnectServer,
  type ConnectServer, type Protocol, type Rec,
} from './helpers.js';

const PROTOCOLS: Protocol[] = ['connect', 'grpc', 'grpc-web'];

/** Every record saw `stage`, both in the store and in the handler context. */
function wrong(hops: readonly Rec[], stage: string): Rec[] {
  return hops.filter((h) => h.stage !== stage || h.instance !== stage || !h.explicit);
}

describe.each(PROTOCOLS)('Connect server over %s', (protocol) => {
  let server: ConnectServer;
  beforeAll(async () => {
    server = await startConnectServer(connectHop('S'), [grayServerInterceptor({ trustIncoming: true })]);
  });
  afterAll(() => server.close());

  it('unary: entry and after await', async () => {
    const client = connectClient(protocol, server.url);
    const r = await client.unary({ id: 'u' }, { headers: stageHeaders('canary') });
    expect(r.hops.map((h) => h.phase)).toEqual(['entry', 'after-await']);
    expect(wrong(r.hops, 'canary')).toEqual([]);
  });

  it('server streaming: every step of the async-generator response', async () => {
    const client = connectClient(protocol, server.url);
    const replies = await drain(client.serverStream({ id: 's', count: 3 }, { headers: stageHeaders('canary') }));
    const hops = replies.flatMap((r) => r.hops);
    expect(hops.map((h) => h.phase)).toEqual(['entry', 'after-await', 'after-yield', 'after-await', 'after-yield', 'after-await']);
    expect(wrong(hops, 'canary')).toEqual([]);
  });

  it('client streaming: inside for await over the request stream and after it', async () => {
    const client = connectClient(protocol, server.url);
    const r = await client.clientStream(requests('a', 'b', 'c'), { headers: stageHeaders('canary') });
    expect(r.hops.map((h) => h.phase)).toEqual(['entry', 'data', 'data', 'data', 'end']);
    expect(wrong(r.hops, 'canary')).toEqual([]);
  });

  it('bidi: data, after await and after each yield', async () => {
    const client = connectClient(protocol, server.url);
    const replies = await drain(client.bidi(requests('a', 'b'), { headers: stageHeaders('canary') }));
    const hops = replies.flatMap((r) => r.hops);
    expect(hops.map((h) => h.phase)).toEqual(['entry', 'data', 'after-await', 'after-yield', 'data', 'after-await']);
    expect(wrong(hops, 'canary')).toEqual([]);
  });

  it('400 concurrent calls (100 per type) with unique stages: 0 lost, 0 crossed', async () => {
    const client = connectClient(protocol, server.url, [grayClientInterceptor()]);
    const calls: Array<Promise<{ stage: string; hops: Rec[] }>> = [];
    for (let i = 0; i < 100; i++) {
      const s = (k: number): string => `${protocol}-${4 * i + k}`;
      calls.push(runWithStage(s(0), () => client.unary({ id: 'u' })).then((r) => ({ stage: s(0), hops: r.hops })));
      calls.push(runWithStage(s(1), () => drain(client.serverStream({ id: 's', count: 2 }))).then((rs) => ({ stage: s(1), hops: rs.flatMap((r) => r.hops) })));
      calls.push(runWithStage(s(2), () => client.clientStream(requests('a', 'b'))).then((r) => ({ stage: s(2), hops: r.hops })));
      calls.push(runWithStage(s(3), () => drain(client.bidi(requests('a', 'b')))).then((rs) => ({ stage: s(3), hops: rs.flatMap((r) => r.hops) })));
    }
    const results = await Promise.all(calls);
    const bad = results.flatMap(({ stage, hops }) => (hops.length === 0 ? [`${stage}: no records`] : wrong(hops, stage).map((h) => `${stage}: ${h.phase} saw ${h.stage}/${h.instance}`)));
    expect(bad).toEqual([]);
  });
});
