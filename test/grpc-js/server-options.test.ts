import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getReleaseStage } from '../../src/index.js';
import { grayServerInterceptor } from '../../src/grpc-js/index.js';
import { hopClient, startServer, unary, type HopClient, type HopReply, type RunningServer } from '../helpers/grpc.js';
import { hopImpl } from '../helpers/hop-service.js';
import { withStage } from './fixture.js';

let server: RunningServer | undefined;
let client: HopClient | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
  server = undefined;
  client = undefined;
});

describe('grayServerInterceptor options', () => {
  it("'cancelled' listeners run in the call's context", async () => {
    const cancelled = new Promise<string>((resolve) => {
      void startServer({
        ...hopImpl('svc'),
        serverStream: (call: grpc.ServerWritableStream<unknown, HopReply>) => {
          call.on('cancelled', () => resolve(getReleaseStage()));
          call.write({ id: 'first', hops: [] });
        },
      }, { interceptors: [grayServerInterceptor()] }).then((s) => {
        server = s;
        client = hopClient(s.address);
        const stream = client.serverStream({ id: 'c' }, withStage('canary'));
        stream.on('data', () => stream.cancel());
        stream.on('error', () => undefined);
      });
    });
    expect(await cancelled).toBe('canary');
  });

  it('echoStage puts the resolved stage in the response headers', async () => {
    server = await startServer(hopImpl('svc'), { interceptors: [grayServerInterceptor({ echoStage: true })] });
    client = hopClient(server.address);
    const headers = await new Promise<grpc.Metadata>((resolve, reject) => {
      const call = client!.unary({ id: 'e' }, withStage('CANARY'), (err) => err && reject(err));
      call.on('metadata', resolve);
    });
    expect(headers.get('x-release-stage')).toEqual(['canary']);
  });

  it('echoStage also on trailers-only error replies (a handler that fails at once)', async () => {
    const denied = { code: grpc.status.PERMISSION_DENIED, details: 'no' };
    server = await startServer({
      ...hopImpl('svc'),
      unary: (_call: unknown, cb: grpc.sendUnaryData<HopReply>) => cb(denied),
      serverStream: (call: grpc.ServerWritableStream<unknown, HopReply>) => call.emit('error', denied),
    }, { interceptors: [grayServerInterceptor({ echoStage: true })] });
    client = hopClient(server.address);
    const unaryErr = await new Promise<grpc.ServiceError>((resolve) => client!.unary({ id: 'e' }, withStage('canary'), (err) => resolve(err!)));
    expect(unaryErr.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(unaryErr.metadata.get('x-release-stage')).toEqual(['canary']);
    const streamErr = await new Promise<grpc.ServiceError>((resolve) => {
      const stream = client!.serverStream({ id: 's' }, withStage('canary'));
      stream.on('data', () => undefined);
      stream.on('error', resolve);
    });
    expect(streamErr.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(streamErr.metadata.get('x-release-stage')).toEqual(['canary']);
    // A reply that sent headers keeps the echo there, and adds none to the trailers.
    const ok = await new Promise<{ headers: grpc.Metadata; trailers: grpc.Metadata }>((resolve, reject) => {
      let headers = new grpc.Metadata();
      const stream = client!.bidi(withStage('canary'));
      stream.on('metadata', (md) => { headers = md; });
      stream.on('data', () => undefined);
      stream.on('error', reject);
      stream.on('status', (status: grpc.StatusObject) => resolve({ headers, trailers: status.metadata }));
      stream.write({ id: 'b' });
      stream.end();
    });
    expect(ok.headers.get('x-release-stage')).toEqual(['canary']);
    expect(ok.trailers.get('x-release-stage')).toEqual([]);
  });

  it('resolve() decides the context (e.g. coloring at a gRPC edge); a throwing resolver keeps the extracted one', async () => {
    server = await startServer(hopImpl('svc'), {
      interceptors: [grayServerInterceptor({
        resolve: (ctx, md) => {
          if (md.get('x-boom').length) throw new Error('boom');
          return md.get('x-user')[0] === 'qa' ? { stage: 'canary', explicit: true, entries: { 'x-release-stage': 'canary' } } : ctx;
        },
      })],
    });
    client = hopClient(server.address);
    const qa = withStage(undefined);
    qa.set('x-user', 'qa');
    expect((await unary(client, { id: '1' }, qa)).hops[0]!.stage).toBe('canary');
    const boom = withStage('blue');
    boom.set('x-boom', '1');
    expect((await unary(client, { id: '2' }, boom)).hops[0]!.stage).toBe('blue');
  });

  it('bad policy options throw GrayConfigError at construction', () => {
    expect(() => grayServerInterceptor({ stages: ['canary'] })).toThrow(/defaultStage 'stable' is not in stages/);
  });
});

describe('grpc-js version guard', () => {
  it('runs on the expected grpc-js (the lowest supported one under vitest.lowest.config.ts)', async () => {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const expected = process.env.GRAYLANE_EXPECT_GRPC_JS;
    const name = process.env.GRAYLANE_GRPC_JS_ALIAS ?? '@grpc/grpc-js';
    const version = (require(`${name}/package.json`) as { version: string }).version;
    // The module the tests (and src/) import is that very copy, not just present on disk.
    expect((require(name) as typeof grpc).Metadata).toBe(grpc.Metadata);
    expect(version.startsWith(expected ? `${expected}.` : '1.')).toBe(true);
    expect(typeof (grpc as { ServerInterceptingCall?: unknown }).ServerInterceptingCall).toBe('function');
  });

  it('throws a clear GrayConfigError on a grpc-js without server interceptors (< 1.10)', async () => {
    vi.resetModules();
    vi.doMock('@grpc/grpc-js', async (importOriginal) => ({ ...(await importOriginal<object>()), ServerInterceptingCall: undefined }));
    const { grayServerInterceptor: fresh } = await import('../../src/grpc-js/index.js');
    expect(() => fresh()).toThrow(/has no server interceptors \(added in 1\.10\.0\)/);
    vi.doUnmock('@grpc/grpc-js');
    vi.resetModules();
  });
});
