/** nice-grpc server + nice-grpc client, client-streaming calls (`for await` over the request stream), ts-proto generated definitions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metadata } from 'nice-grpc-common';
import { runWithStage } from '../../src/index.js';
import { grayServerMiddleware } from '../../src/nice-grpc/index.js';
import { callSignal, mismatches, niceHopClient, probeHop, requests, startNiceServer, type NiceClient, type NiceServer } from './helpers.js';

describe('nice-grpc client streaming', () => {
  let server: NiceServer;
  let hop: NiceClient;

  beforeAll(async () => {
    server = await startNiceServer(probeHop(), { middleware: grayServerMiddleware() });
    hop = niceHopClient(server.address);
  });
  afterAll(() => {
    hop.close();
    server.close();
  });

  it('the handler sees the stage at entry, inside for await over the requests, and after the stream ends', async () => {
    const reply = await runWithStage('canary', () => hop.client.clientStream(requests('c', 3), { signal: callSignal() }));
    expect(reply.id).toBe('c-2');
    expect(reply.hops.map((h) => h.phase)).toEqual(['entry', 'data', 'data', 'data', 'end']);
    expect(mismatches(reply.hops, 'canary')).toEqual([]);
  });

  it('an empty request stream still sees the stage', async () => {
    const reply = await runWithStage('canary', () => hop.client.clientStream(requests('none', 0), { signal: callSignal() }));
    expect(reply.hops.map((h) => h.phase)).toEqual(['entry', 'end']);
    expect(mismatches(reply.hops, 'canary')).toEqual([]);
  });

  it('the caller\'s Metadata object is unchanged after the call', async () => {
    const metadata = Metadata({ 'x-request-id': 'r-3' });
    const reply = await runWithStage('canary', () => hop.client.clientStream(requests('m', 1), { metadata, signal: callSignal() }));
    expect(mismatches(reply.hops, 'canary')).toEqual([]);
    expect([...metadata]).toEqual([['x-request-id', ['r-3']]]);
  });

  it('keeps 300 concurrent calls with unique stages isolated', async () => {
    const n = 300;
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) => runWithStage(`s-${i}`, () => hop.client.clientStream(requests(String(i), 3), { signal: callSignal() }))),
    );
    const bad = replies.flatMap((r, i) => (r.id === `${i}-2` ? mismatches(r.hops, `s-${i}`) : [`call ${i} got ${r.id}`]));
    expect(bad).toEqual([]);
    expect(replies.every((r) => r.hops.length === 5)).toBe(true);
  });
});
