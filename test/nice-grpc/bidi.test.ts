/** nice-grpc server + nice-grpc client, bidirectional streaming (async-generator handler over the request stream), ts-proto generated definitions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metadata } from 'nice-grpc-common';
import { runWithStage } from '../../src/index.js';
import { grayServerMiddleware } from '../../src/nice-grpc/index.js';
import { callSignal, drain, mismatches, niceHopClient, probeHop, requests, startNiceServer, type NiceClient, type NiceServer } from './helpers.js';

describe('nice-grpc bidi streaming', () => {
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

  it('the handler sees the stage at entry, inside for await, after await and after every yield', async () => {
    const replies = await runWithStage('canary', () => drain(hop.client.bidi(requests('b', 3), { signal: callSignal() })));
    expect(replies.map((r) => r.id)).toEqual(['b-0', 'b-1', 'b-2']);
    expect(replies.map((r) => r.hops.map((h) => h.phase))).toEqual([
      ['entry', 'data', 'after-await'],
      ['after-yield', 'data', 'after-await'],
      ['after-yield', 'data', 'after-await'],
    ]);
    expect(mismatches(replies.flatMap((r) => r.hops), 'canary')).toEqual([]);
  });

  it('the caller\'s explicit stage wins and its Metadata object is unchanged', async () => {
    const metadata = Metadata({ 'x-release-stage': 'blue' });
    const replies = await runWithStage('canary', () => drain(hop.client.bidi(requests('m', 2), { metadata, signal: callSignal() })));
    expect(mismatches(replies.flatMap((r) => r.hops), 'blue')).toEqual([]);
    expect([...metadata]).toEqual([['x-release-stage', ['blue']]]);
  });

  it('keeps 300 concurrent calls with unique stages isolated', async () => {
    const n = 300;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => runWithStage(`s-${i}`, () => drain(hop.client.bidi(requests(String(i), 3), { signal: callSignal() })))),
    );
    const bad = results.flatMap((replies, i) => [
      ...(replies.length === 3 ? [] : [`call ${i}: ${replies.length} replies`]),
      ...replies.flatMap((r) => (r.id.startsWith(`${i}-`) ? mismatches(r.hops, `s-${i}`) : [`call ${i} got ${r.id}`])),
    ]);
    expect(bad).toEqual([]);
  });
});
