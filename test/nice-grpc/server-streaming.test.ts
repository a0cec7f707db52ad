/** nice-grpc server + nice-grpc client, server-streaming calls (async-generator handler), ts-proto generated definitions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, createClientFactory, type Channel } from 'nice-grpc';
import type { CallOptions, ClientMiddlewareCall } from 'nice-grpc-common';
import { getReleaseStage, runWithStage } from '../../src/index.js';
import { forwardGrayMetadata, grayClientMiddleware, grayServerMiddleware } from '../../src/nice-grpc/index.js';
import { HopDefinition } from '../../examples/shop/gen/nice/graylane/hop/v1/hop.js';
import { callSignal, drain, mismatches, niceHopClient, probeHop, startNiceServer, tick, type NiceClient, type NiceServer } from './helpers.js';

/** A pass-through client middleware; `use`d after graylane's, nice-grpc runs it before graylane's. */
async function* passThrough<Req, Res>(call: ClientMiddlewareCall<Req, Res>, options: CallOptions): AsyncGenerator<Res, Res | void, undefined> {
  return yield* call.next(call.request, options);
}

describe('nice-grpc server streaming', () => {
  let server: NiceServer;
  let hop: NiceClient;
  let channel: Channel;

  beforeAll(async () => {
    server = await startNiceServer(probeHop(), { middleware: grayServerMiddleware() });
    hop = niceHopClient(server.address);
    channel = createChannel(server.address);
  });
  afterAll(() => {
    hop.close();
    channel.close();
    server.close();
  });

  it('the generator handler sees the stage at entry, after await and after every yield', async () => {
    const replies = await runWithStage('canary', () => drain(hop.client.serverStream({ id: 's', count: 4 }, { signal: callSignal() })));
    expect(replies.map((r) => r.id)).toEqual(['s/0', 's/1', 's/2', 's/3']);
    const hops = replies.flatMap((r) => r.hops);
    expect(hops.map((h) => h.phase)).toEqual(['entry', 'after-await', ...Array<string[]>(3).fill(['after-yield', 'after-await']).flat()]);
    expect(mismatches(hops, 'canary')).toEqual([]);
  });

  it('with graylane used last on the factory (nice-grpc runs it first), the context is read when the method is called', async () => {
    const stream = runWithStage('canary', () => hop.client.serverStream({ id: 'early', count: 2 }, { signal: callSignal() }));
    const replies = await drain(stream); // iterated outside any context
    expect(mismatches(replies.flatMap((r) => r.hops), 'canary')).toEqual([]);
  });

  it('with another client middleware used after graylane, the context is read when iteration starts (documented caveat)', async () => {
    const client = createClientFactory().use(grayClientMiddleware()).use(passThrough).create(HopDefinition, channel);
    const outside = runWithStage('canary', () => client.serverStream({ id: 'late', count: 1 }, { signal: callSignal() }));
    expect(mismatches((await drain(outside)).flatMap((r) => r.hops), 'stable', false)).toEqual([]);

    const inside = await runWithStage('canary', () => drain(client.serverStream({ id: 'in', count: 1 }, { signal: callSignal() })));
    expect(mismatches(inside.flatMap((r) => r.hops), 'canary')).toEqual([]);

    // The workaround: pass forwardGrayMetadata() when calling.
    const forwarded = runWithStage('canary', () => client.serverStream({ id: 'fwd', count: 1 }, { metadata: forwardGrayMetadata(), signal: callSignal() }));
    expect(mismatches((await drain(forwarded)).flatMap((r) => r.hops), 'canary')).toEqual([]);
  });

  it('a cancelled stream: the handler\'s finally block still runs in the call\'s context', async () => {
    let finished!: (seen: string) => void;
    const seenInFinally = new Promise<string>((resolve) => (finished = resolve));
    const impl = probeHop();
    impl.serverStream = async function* (req, context) {
      try {
        for (let i = 0; i < 1000 && !context.signal.aborted; i++) {
          yield { id: `${req.id}/${i}`, hops: [] };
          await tick();
        }
      } finally {
        finished(`${getReleaseStage()}|${context.gray?.stage ?? '-'}`);
      }
    };
    const cancellable = await startNiceServer(impl, { middleware: grayServerMiddleware() });
    const client = niceHopClient(cancellable.address);
    try {
      const abort = new AbortController();
      await runWithStage('canary', async () => {
        for await (const reply of client.client.serverStream({ id: 'x', count: 0 }, { signal: abort.signal })) {
          if (reply.id === 'x/2') break; // leaving the loop cancels the call
        }
      });
      expect(await seenInFinally).toBe('canary|canary');
    } finally {
      client.close();
      cancellable.close();
    }
  });

  it('keeps 300 concurrent streams with unique stages isolated', async () => {
    const n = 300;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => runWithStage(`s-${i}`, () => drain(hop.client.serverStream({ id: String(i), count: 3 }, { signal: callSignal() })))),
    );
    const bad = results.flatMap((replies, i) => [
      ...(replies.length === 3 ? [] : [`call ${i}: ${replies.length} replies`]),
      ...replies.flatMap((r) => (r.id.startsWith(`${i}/`) ? mismatches(r.hops, `s-${i}`) : [`call ${i} got ${r.id}`])),
    ]);
    expect(bad).toEqual([]);
  });
});
