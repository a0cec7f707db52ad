import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getReleaseStage, runWithStage } from '../../src/index.js';
import { grayClientInterceptor } from '../../src/grpc-js/index.js';
import { collect, hopClient, startServer, type HopClient, type HopReply, type RunningServer } from '../helpers/grpc.js';

/** A server WITHOUT graylane that reports the raw incoming x-release-stage values it received. */
function rawEcho(md: grpc.Metadata) {
  return { service: 'raw', instance: 'raw', stage: md.get('x-release-stage').join(','), explicit: false, phase: 'raw' };
}

describe('grayClientInterceptor', () => {
  let server: RunningServer;
  let client: HopClient;
  beforeAll(async () => {
    server = await startServer({
      unary: (call: grpc.ServerUnaryCall<{ id: string }, HopReply>, cb: grpc.sendUnaryData<HopReply>) => {
        const md = new grpc.Metadata();
        md.set('x-served', 'yes');
        call.sendMetadata(md);
        cb(null, { id: call.request.id, hops: [rawEcho(call.metadata)] });
      },
      serverStream: (call: grpc.ServerWritableStream<{ id: string }, HopReply>) => {
        call.write({ id: '1', hops: [rawEcho(call.metadata)] });
        call.write({ id: '2', hops: [] });
        call.end();
      },
      clientStream: (call: grpc.ServerReadableStream<unknown, HopReply>, cb: grpc.sendUnaryData<HopReply>) => {
        call.on('data', () => undefined);
        call.on('end', () => cb(null, { id: 'c', hops: [rawEcho(call.metadata)] }));
      },
      bidi: (call: grpc.ServerDuplexStream<{ id: string }, HopReply>) => {
        call.on('data', (m: { id: string }) => call.write({ id: m.id, hops: [rawEcho(call.metadata)] }));
        call.on('end', () => call.end());
      },
    });
    client = hopClient(server.address, { interceptors: [grayClientInterceptor()] });
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  const call = (md = new grpc.Metadata()) =>
    new Promise<{ reply: HopReply; stageInCallback: string; stageInMetadataEvent: string }>((resolve, reject) => {
      let stageInMetadataEvent = '';
      const c = client.unary({ id: 'x' }, md, (err, reply) => (err ? reject(err) : resolve({ reply: reply!, stageInCallback: getReleaseStage(), stageInMetadataEvent })));
      c.on('metadata', () => { stageInMetadataEvent = getReleaseStage(); });
    });

  it('adds the current stage to outgoing metadata', async () => {
    const { reply } = await runWithStage('canary', () => call());
    expect(reply.hops[0]!.stage).toBe('canary');
  });

  it('adds nothing outside a gray context or for a default-stage request', async () => {
    expect((await call()).reply.hops[0]!.stage).toBe('');
  });

  it('keys set explicitly by the caller win, and the caller Metadata is not modified', async () => {
    const md = new grpc.Metadata();
    md.set('x-release-stage', 'blue');
    const { reply } = await runWithStage('canary', () => call(md));
    expect(reply.hops[0]!.stage).toBe('blue');

    const shared = new grpc.Metadata();
    shared.set('authorization', 'token');
    await runWithStage('canary', () => call(shared));
    expect(shared.getMap()).toEqual({ authorization: 'token' });
    // Reusing the same Metadata object in a stable request must not leak the earlier canary tag.
    const { reply: second } = await runWithStage('stable', () => call(shared));
    expect(second.hops[0]!.stage).toBe('stable');
  });

  it('response metadata events and the callback run in the caller context', async () => {
    const result = await runWithStage('canary', async () => {
      await Promise.resolve();
      return call();
    });
    expect(result.stageInCallback).toBe('canary');
    expect(result.stageInMetadataEvent).toBe('canary');
  });

  it("stream 'data' and 'end' events run in the caller context, for server, client and bidi streams", async () => {
    const seen: string[] = [];
    await runWithStage('canary', async () => {
      const s = client.serverStream({ id: 's' });
      s.on('data', () => seen.push(`server-data:${getReleaseStage()}`));
      s.on('end', () => seen.push(`server-end:${getReleaseStage()}`));
      const replies = await collect<HopReply>(s);
      expect(replies[0]!.hops[0]!.stage).toBe('canary');

      const reply = await new Promise<HopReply>((resolve, reject) => {
        const c = client.clientStream((err, res) => {
          seen.push(`client-callback:${getReleaseStage()}`);
          return err ? reject(err) : resolve(res!);
        });
        c.write({ id: 'a' });
        c.end();
      });
      expect(reply.hops[0]!.stage).toBe('canary');

      const b = client.bidi();
      b.on('data', () => seen.push(`bidi-data:${getReleaseStage()}`));
      const done = collect<HopReply>(b);
      b.write({ id: '1' });
      b.end();
      expect((await done)[0]!.hops[0]!.stage).toBe('canary');
    });
    expect(seen).toEqual(['server-data:canary', 'server-data:canary', 'server-end:canary', 'client-callback:canary', 'bidi-data:canary']);
  });

  it('per-call interceptors replace the client ones (documented grpc-js behaviour)', async () => {
    const passthrough: grpc.Interceptor = (options, next) => new grpc.InterceptingCall(next(options));
    const reply = await runWithStage('canary', () => new Promise<HopReply>((resolve, reject) =>
      client.unary({ id: 'p' }, new grpc.Metadata(), { interceptors: [passthrough] }, (err, res) => (err ? reject(err) : resolve(res!)))));
    expect(reply.hops[0]!.stage).toBe('');
  });

  it('overwrite: true replaces the caller value', async () => {
    const forced = hopClient(server.address, { interceptors: [grayClientInterceptor({ overwrite: true })] });
    const md = new grpc.Metadata();
    md.set('x-release-stage', 'blue');
    const reply = await runWithStage('canary', () => new Promise<HopReply>((resolve, reject) =>
      forced.unary({ id: 'o' }, md, (err, res) => (err ? reject(err) : resolve(res!)))));
    forced.close();
    expect(reply.hops[0]!.stage).toBe('canary');
    expect(md.get('x-release-stage')).toEqual(['blue']);
  });
});
