/**
 * Calls made outside any gray context (a timer, a warm-up, a health probe) run their response events
 * with NO gray context — even when a canary request opened the HTTP/2 connection, whose async context
 * grpc-js otherwise runs the response callbacks in. All four call types; a call made from such a
 * callback goes out untagged.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getGrayContext, runWithStage } from '../../src/index.js';
import { grayClientInterceptor, grayServerInterceptor } from '../../src/grpc-js/index.js';
import { collect, hopClient, startServer, type HopClient, type HopReply, type RunningServer } from '../helpers/grpc.js';

/** The gray stage the code runs in right now, `'none'` outside any context. */
const now = (): string => getGrayContext()?.stage ?? 'none';
/** Runs `fn` from a timer: a fresh async context that no request started. */
const fromTimer = <T>(fn: () => Promise<T>): Promise<T> => new Promise((resolve, reject) => setTimeout(() => fn().then(resolve, reject), 1));

/** The raw `x-release-stage` the server received ('' when absent), as the reply's first record. */
function received(md: grpc.Metadata) {
  return { service: 'raw', instance: 'raw', stage: md.get('x-release-stage').join(','), explicit: false, phase: 'raw' };
}

describe('calls outside any gray context, on a channel a canary call opened', () => {
  let server: RunningServer;
  let client: HopClient;
  beforeAll(async () => {
    server = await startServer({
      unary: (call: grpc.ServerUnaryCall<unknown, HopReply>, cb: grpc.sendUnaryData<HopReply>) => {
        call.sendMetadata(new grpc.Metadata());
        cb(null, { id: 'u', hops: [received(call.metadata)] });
      },
      serverStream: (call: grpc.ServerWritableStream<unknown, HopReply>) => {
        call.write({ id: 's', hops: [received(call.metadata)] });
        call.end();
      },
      clientStream: (call: grpc.ServerReadableStream<unknown, HopReply>, cb: grpc.sendUnaryData<HopReply>) => {
        call.on('data', () => undefined);
        call.on('end', () => cb(null, { id: 'c', hops: [received(call.metadata)] }));
      },
      bidi: (call: grpc.ServerDuplexStream<unknown, HopReply>) => {
        call.on('data', () => call.write({ id: 'b', hops: [received(call.metadata)] }));
        call.on('end', () => call.end());
      },
    }, { interceptors: [grayServerInterceptor()] });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => client.close());

  /** A fresh channel whose connection a canary call opens (and finishes). */
  async function openedByCanary(): Promise<void> {
    client = hopClient(server.address, { interceptors: [grayClientInterceptor()] });
    const reply = await runWithStage('canary', () => new Promise<HopReply>((resolve, reject) =>
      client.unary({ id: 'open' }, (err, res) => (err ? reject(err) : resolve(res!)))));
    expect(reply.hops[0]!.stage).toBe('canary');
  }

  /** A unary call; resolves with the stage the server received. */
  const untagged = (): Promise<string> => new Promise((resolve, reject) =>
    client.unary({ id: 'probe' }, (err, res) => (err ? reject(err) : resolve(res!.hops[0]!.stage))));

  it('unary: metadata, status and the callback see no context', async () => {
    await openedByCanary();
    const seen = await fromTimer(() => new Promise<string[]>((resolve, reject) => {
      const out: string[] = [`start:${now()}`];
      const call = client.unary({ id: 'u' }, (err) => {
        out.push(`callback:${now()}`);
        if (err) reject(err);
      });
      call.on('metadata', () => out.push(`metadata:${now()}`));
      // grpc-js emits 'status' after the callback.
      call.on('status', () => resolve([...out, `status:${now()}`]));
    }));
    expect(seen).toEqual(['start:none', 'metadata:none', 'callback:none', 'status:none']);
  });

  it("server streaming: 'data', 'end' and 'status' see no context; a call made in 'end' goes out untagged", async () => {
    await openedByCanary();
    const { seen, downstream } = await fromTimer(() => new Promise<{ seen: string[]; downstream: string }>((resolve, reject) => {
      const seen: string[] = [];
      const stream = client.serverStream({ id: 's' });
      stream.on('data', () => seen.push(`data:${now()}`));
      stream.on('status', () => seen.push(`status:${now()}`));
      stream.on('error', reject);
      stream.on('end', () => {
        seen.push(`end:${now()}`);
        untagged().then((downstream) => resolve({ seen, downstream }), reject);
      });
    }));
    expect(seen.sort()).toEqual(['data:none', 'end:none', 'status:none']);
    expect(downstream).toBe('');
  });

  it('client streaming: the callback sees no context; a call made in it goes out untagged', async () => {
    await openedByCanary();
    const { seen, downstream } = await fromTimer(() => new Promise<{ seen: string; downstream: string }>((resolve, reject) => {
      const stream = client.clientStream((err) => {
        if (err) return reject(err);
        const seen = now();
        untagged().then((downstream) => resolve({ seen, downstream }), reject);
      });
      stream.write({ id: 'c' });
      stream.end();
    }));
    expect(seen).toBe('none');
    expect(downstream).toBe('');
  });

  it("bidi: 'data' and 'end' see no context; a call made in 'end' goes out untagged", async () => {
    await openedByCanary();
    const { seen, downstream } = await fromTimer(() => new Promise<{ seen: string[]; downstream: string }>((resolve, reject) => {
      const seen: string[] = [];
      const stream = client.bidi();
      stream.on('data', () => seen.push(`data:${now()}`));
      stream.on('error', reject);
      stream.on('end', () => {
        seen.push(`end:${now()}`);
        untagged().then((downstream) => resolve({ seen, downstream }), reject);
      });
      stream.write({ id: 'b' });
      stream.end();
    }));
    expect(seen).toEqual(['data:none', 'end:none']);
    expect(downstream).toBe('');
  });

  it('a call in a stable context still sees stable, not the canary that opened the channel', async () => {
    await openedByCanary();
    const seen = await runWithStage('stable', () => collect<HopReply>(client.serverStream({ id: 's' })).then(() => now()));
    expect(seen).toBe('stable');
  });
});

describe('stream write callbacks on a channel that is still connecting', () => {
  it('run in the writer\'s context (or none), not in the context of the call that opened the connection', async () => {
    const server = await startServer({
      clientStream: (call: grpc.ServerReadableStream<unknown, HopReply>, cb: grpc.sendUnaryData<HopReply>) => {
        call.on('data', () => undefined);
        call.on('end', () => cb(null, { id: 'c', hops: [received(call.metadata)] }));
      },
      unary: (call: grpc.ServerUnaryCall<unknown, HopReply>, cb: grpc.sendUnaryData<HopReply>) => cb(null, { id: 'u', hops: [received(call.metadata)] }),
    }, { interceptors: [grayServerInterceptor()] });
    const client = hopClient(server.address, { interceptors: [grayClientInterceptor()] });
    const seen: string[] = [];
    const downstream: Array<Promise<string>> = [];
    const stream = (label: string) => new Promise<void>((resolve, reject) => {
      const s = client.clientStream((err) => (err ? reject(err) : resolve()));
      // The write is buffered until the connection is up; its callback then fires from the connection.
      s.write({ id: label }, () => {
        seen.push(`${label}:${now()}`);
        downstream.push(new Promise((ok, fail) => client.unary({ id: label }, (err, res) => (err ? fail(err) : ok(`${label}:${res!.hops[0]!.stage || '(none)'}`)))));
      });
      s.end();
    });
    try {
      // All three start in the same tick, before the connection exists; the canary call starts first.
      await Promise.all([runWithStage('canary', () => stream('canary')), runWithStage('stable', () => stream('stable')), stream('none')]);
      expect(seen.sort()).toEqual(['canary:canary', 'none:none', 'stable:stable']);
      expect((await Promise.all(downstream)).sort()).toEqual(['canary:canary', 'none:(none)', 'stable:stable']);
    } finally {
      client.close();
      await server.close();
    }
  });
});
