/**
 * The other way to install graylane on a nice-grpc server: grpc-js's `grayServerInterceptor` through
 * `createServer({ interceptors })`. Same guarantees for the four call types (no `context.gray`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithStage } from '../../src/index.js';
import { grayServerInterceptor } from '../../src/grpc-js/index.js';
import { callSignal, drain, niceHopClient, probeHop, requests, startNiceServer, type HopRecord, type NiceClient, type NiceServer } from './helpers.js';

/** Records whose ALS stage differs from `stage`; `context.gray` is not set in this mode. */
function wrongStage(hops: readonly HopRecord[], stage: string): string[] {
  return hops.filter((h) => h.stage !== stage || h.instance !== '-').map((h) => `${h.phase}: ${h.stage} gray=${h.instance}`);
}

describe('nice-grpc server with the grpc-js grayServerInterceptor', () => {
  let server: NiceServer;
  let hop: NiceClient;

  beforeAll(async () => {
    server = await startNiceServer(probeHop(), { serverOptions: { interceptors: [grayServerInterceptor()] } });
    hop = niceHopClient(server.address);
  });
  afterAll(() => {
    hop.close();
    server.close();
  });

  it('all four call types see the stage, after await, after yield and inside for await', async () => {
    const [u, ss, cs, bd] = await runWithStage('canary', () =>
      Promise.all([
        hop.client.unary({ id: 'u' }, { signal: callSignal() }),
        drain(hop.client.serverStream({ id: 's', count: 3 }, { signal: callSignal() })),
        hop.client.clientStream(requests('c', 3), { signal: callSignal() }),
        drain(hop.client.bidi(requests('b', 3), { signal: callSignal() })),
      ]),
    );
    const hops = [...u.hops, ...ss.flatMap((r) => r.hops), ...cs.hops, ...bd.flatMap((r) => r.hops)];
    expect(new Set(hops.map((h) => h.phase))).toEqual(new Set(['entry', 'after-await', 'after-yield', 'data', 'end']));
    expect(wrongStage(hops, 'canary')).toEqual([]);
  });

  it('keeps 200 concurrent calls per call type with unique stages isolated', async () => {
    const n = 200;
    const calls = Array.from({ length: n }, (_, i) => runWithStage(`s-${i}`, async () => {
      const hops = [
        ...(await hop.client.unary({ id: `${i}` }, { signal: callSignal() })).hops,
        ...(await drain(hop.client.serverStream({ id: `${i}`, count: 2 }, { signal: callSignal() }))).flatMap((r) => r.hops),
        ...(await hop.client.clientStream(requests(`${i}`, 2), { signal: callSignal() })).hops,
        ...(await drain(hop.client.bidi(requests(`${i}`, 2), { signal: callSignal() }))).flatMap((r) => r.hops),
      ];
      return wrongStage(hops, `s-${i}`).concat(hops.length === 2 + 4 + 4 + 6 ? [] : [`call ${i}: ${hops.length} records`]);
    }));
    expect((await Promise.all(calls)).flat()).toEqual([]);
  });
});
