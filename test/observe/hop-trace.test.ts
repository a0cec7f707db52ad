import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { grayServerInterceptor } from '../../src/grpc-js/server-interceptor.js';
import { HOPS_TRAILER_KEY, readHopTrace, type GrayHop } from 'graylane/observe';
import { grayHopTraceClientInterceptor, grayHopTraceServerInterceptor, withHopTrace } from 'graylane/observe/grpc-js';
// The wire codec is internal (not exported by any subpath): its round trip is tested directly.
import { encodeHops } from '../../src/observe/hop-trace.js';
import { GrayConfigError } from '../../src/core/errors.js';
import { grayClientInterceptor } from '../../src/grpc-js/client-interceptor.js';
import { collect, hopClient, startServer, unary, type HopClient, type HopReply, type HopRequest } from '../helpers/grpc.js';
import { stageMetadata, startHop, stopHops, unaryWithStatus, type ChainHop } from './chain.js';

describe('hop trace over a real 3-hop chain', () => {
  const hops: ChainHop[] = [];
  let client: HopClient;
  let tracingClient: HopClient;

  beforeAll(async () => {
    const server = (name: string): grpc.ServerInterceptor[] => [grayServerInterceptor(), grayHopTraceServerInterceptor({ service: name, instance: `${name}-1` })];
    const c = await startHop({ name: 'c', serverInterceptors: server('c') });
    const b = await startHop({ name: 'b', serverInterceptors: server('b'), next: c.server.address, clientInterceptors: [grayHopTraceClientInterceptor()] });
    const a = await startHop({ name: 'a', serverInterceptors: server('a'), next: b.server.address, clientInterceptors: [grayHopTraceClientInterceptor()] });
    hops.push(a, b, c);
    client = hopClient(a.server.address);
    tracingClient = hopClient(a.server.address, { interceptors: [grayHopTraceClientInterceptor({ trace: true })] });
  });

  afterAll(async () => {
    client?.close();
    tracingClient?.close();
    await stopHops(hops);
  });

  it('returns every hop, in order, for a traced canary call', async () => {
    const { reply, status } = await unaryWithStatus(client, { id: 't1' }, withHopTrace(stageMetadata('canary')));
    expect(status.code).toBe(grpc.status.OK);
    expect(reply?.hops.map((h) => h.stage)).toEqual(['canary', 'canary', 'canary']);
    expect(readHopTrace(status)).toEqual({
      status: 'ok',
      incomplete: false,
      hops: [
        { depth: 0, service: 'a', instance: 'a-1', stage: 'canary', explicit: true },
        { depth: 1, service: 'b', instance: 'b-1', stage: 'canary', explicit: true },
        { depth: 2, service: 'c', instance: 'c-1', stage: 'canary', explicit: true },
      ],
    });
  });

  it('reports the default stage as not explicit when the call carries none', async () => {
    const { status } = await unaryWithStatus(tracingClient, { id: 't2' });
    const trace = readHopTrace(status);
    expect(trace.status).toBe('ok');
    if (trace.status !== 'ok') return;
    expect(trace.hops.map((h) => [h.service, h.stage, h.explicit])).toEqual([['a', 'stable', false], ['b', 'stable', false], ['c', 'stable', false]]);
  });

  it('adds no trailer to untraced calls, even when they interleave with traced ones', async () => {
    const runs = Array.from({ length: 60 }, (_, i) => {
      const traced = i % 2 === 0;
      const md = stageMetadata(i % 3 === 0 ? 'canary' : 'stable');
      return unaryWithStatus(client, { id: `m${i}` }, traced ? withHopTrace(md) : md).then((r) => ({ i, traced, stage: md.get('x-release-stage')[0], r }));
    });
    for (const { traced, stage, r } of await Promise.all(runs)) {
      expect(r.status.code).toBe(grpc.status.OK);
      const trace = readHopTrace(r.status);
      if (!traced) {
        expect(r.status.metadata.get(HOPS_TRAILER_KEY)).toEqual([]);
        expect(trace).toEqual({ status: 'absent' });
        continue;
      }
      expect(trace.status).toBe('ok');
      if (trace.status === 'ok') {
        expect(trace.hops.map((h) => `${h.depth}:${h.service}:${h.stage}`)).toEqual([`0:a:${stage}`, `1:b:${stage}`, `2:c:${stage}`]);
      }
    }
  });

  it('traces server-streaming calls too', async () => {
    const call = client.serverStream({ id: 's', count: 3 }, withHopTrace(stageMetadata('canary')));
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    expect(await collect(call)).toHaveLength(3);
    const trace = readHopTrace(await status);
    expect(trace).toEqual({ status: 'ok', incomplete: false, hops: [{ depth: 0, service: 'a', instance: 'a-1', stage: 'canary', explicit: true }] });
  });
});

describe('hop trace: a downstream hop without the interceptor', () => {
  it('marks the trace incomplete instead of inventing a hop', async () => {
    const c = await startHop({ name: 'c', serverInterceptors: [grayServerInterceptor()] });
    const a = await startHop({
      name: 'a', next: c.server.address,
      serverInterceptors: [grayServerInterceptor(), grayHopTraceServerInterceptor({ service: 'a', instance: 'a-1' })],
      clientInterceptors: [grayHopTraceClientInterceptor()],
    });
    const client = hopClient(a.server.address);
    try {
      const { status } = await unaryWithStatus(client, { id: 'x' }, withHopTrace(stageMetadata('canary')));
      expect(readHopTrace(status)).toEqual({ status: 'ok', incomplete: true, hops: [{ depth: 0, service: 'a', instance: 'a-1', stage: 'canary', explicit: true }] });
    } finally {
      client.close();
      await stopHops([a, c]);
    }
  });
});

describe('hop trace: a failing hop', () => {
  it('still returns the path, down to the hop that failed', async () => {
    const server = (name: string): grpc.ServerInterceptor[] => [grayServerInterceptor(), grayHopTraceServerInterceptor({ service: name, instance: `${name}-1` })];
    const c = await startHop({ name: 'c', serverInterceptors: server('c'), fail: () => grpc.status.INTERNAL });
    const b = await startHop({ name: 'b', serverInterceptors: server('b'), next: c.server.address, clientInterceptors: [grayHopTraceClientInterceptor()] });
    const a = await startHop({ name: 'a', serverInterceptors: server('a'), next: b.server.address, clientInterceptors: [grayHopTraceClientInterceptor()] });
    const client = hopClient(a.server.address);
    try {
      const { status } = await unaryWithStatus(client, { id: 'f' }, withHopTrace(stageMetadata('canary')));
      expect(status.code).toBe(grpc.status.INTERNAL);
      const trace = readHopTrace(status);
      expect(trace.status === 'ok' && trace.hops.map((h) => `${h.depth}:${h.service}`)).toEqual(['0:a', '1:b', '2:c']);
      expect(status.metadata.get(HOPS_TRAILER_KEY)).toHaveLength(1);
    } finally {
      client.close();
      await stopHops([a, b, c]);
    }
  });
});

describe('readHopTrace on untrusted input', () => {
  it('gives a clear outcome for junk and never throws', () => {
    expect(readHopTrace(undefined)).toEqual({ status: 'absent' });
    expect(readHopTrace(new grpc.Metadata())).toEqual({ status: 'absent' });
    expect(readHopTrace('0;a;a-1;CANARY;1').status).toBe('invalid');
    expect(readHopTrace('1;a;a-1;canary;1')).toEqual({ status: 'invalid', reason: 'first hop must have depth 0' });
    expect(readHopTrace('0;a;a 1;canary;1').status).toBe('invalid');
    expect(readHopTrace('0;a;a-1;canary;1,3;b;b;canary;0')).toEqual({ status: 'invalid', reason: 'depths out of order' });
    expect(readHopTrace('x'.repeat(10_000))).toEqual({ status: 'invalid', reason: 'too long' });
    const md = new grpc.Metadata();
    md.add(HOPS_TRAILER_KEY, '0;a;a;stable;0');
    md.add(HOPS_TRAILER_KEY, '0;b;b;stable;0');
    expect(readHopTrace(md).status).toBe('invalid');
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (junk) => {
      const trace = readHopTrace(junk);
      expect(['ok', 'invalid']).toContain(trace.status);
    }), { numRuns: 500 });
  });

  it('round-trips what the encoder writes and caps long traces', () => {
    const hop = (depth: number): GrayHop => ({ depth, service: 'svc', instance: 'i-1', stage: 'canary', explicit: depth % 2 === 0 });
    const hops = [hop(0), hop(1), hop(2), hop(1)];
    expect(readHopTrace(encodeHops(hops, false))).toEqual({ status: 'ok', hops, incomplete: false });
    const many = Array.from({ length: 100 }, (_, i) => hop(i === 0 ? 0 : 1));
    const capped = readHopTrace(encodeHops(many, false));
    expect(capped.status === 'ok' && capped.incomplete && capped.hops.length === 64).toBe(true);
  });

  it('rejects bad service names at construction', () => {
    expect(() => grayHopTraceServerInterceptor({ service: 'has space' })).toThrow(GrayConfigError);
    expect(() => grayHopTraceServerInterceptor({ service: 'ok', instance: '' })).toThrow(GrayConfigError);
  });
});

describe('hop trace: streaming handlers and edge control', () => {
  it('collects downstream hops made from bidi \'data\' callbacks', async () => {
    const c = await startHop({ name: 'c', serverInterceptors: [grayServerInterceptor(), grayHopTraceServerInterceptor({ service: 'c', instance: 'c-1' })] });
    const down = hopClient(c.server.address, { interceptors: [grayClientInterceptor(), grayHopTraceClientInterceptor()] });
    const a = await startServer({
      bidi(call: grpc.ServerDuplexStream<HopRequest, HopReply>) {
        const pending: Array<Promise<unknown>> = [];
        call.on('data', (req: HopRequest) => {
          pending.push(unary(down, req).then((reply) => call.write(reply)));
        });
        call.on('end', () => void Promise.all(pending).then(() => call.end()));
      },
    }, { interceptors: [grayServerInterceptor(), grayHopTraceServerInterceptor({ service: 'a', instance: 'a-1' })] });
    const client = hopClient(a.address);
    try {
      const call = client.bidi(withHopTrace(stageMetadata('canary')));
      const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
      const replies = collect<HopReply>(call);
      call.write({ id: '1' });
      call.write({ id: '2' });
      call.end();
      expect((await replies).map((r) => r.hops[0]!.stage)).toEqual(['canary', 'canary']);
      const trace = readHopTrace(await status);
      expect(trace.status === 'ok' && trace.hops.map((h) => `${h.depth}:${h.service}:${h.stage}`)).toEqual(['0:a:canary', '1:c:canary', '1:c:canary']);
    } finally {
      client.close();
      down.close();
      await a.close();
      await stopHops([c]);
    }
  });

  it('an edge can refuse trace requests from callers it does not trust', async () => {
    const edge = await startHop({
      name: 'edge',
      serverInterceptors: [grayServerInterceptor(), grayHopTraceServerInterceptor({ service: 'edge', accept: (md) => md.get('x-debug-token')[0] === 'let-me-see' })],
    });
    const client = hopClient(edge.server.address);
    try {
      const refused = await unaryWithStatus(client, { id: 'r' }, withHopTrace());
      expect(refused.status.code).toBe(grpc.status.OK);
      expect(readHopTrace(refused.status)).toEqual({ status: 'absent' });
      const allowed = await unaryWithStatus(client, { id: 'a' }, withHopTrace(stageMetadata(undefined, { 'x-debug-token': 'let-me-see' })));
      const trace = readHopTrace(allowed.status);
      expect(trace.status === 'ok' && trace.hops.map((h) => h.service)).toEqual(['edge']);
    } finally {
      client.close();
      await stopHops([edge]);
    }
    expect(() => grayHopTraceServerInterceptor({ service: 'x', accept: 'yes' as never })).toThrow(GrayConfigError);
  });
});

describe('hop trace: an untrusting edge (trustIncoming: false)', () => {
  it('ignores a client-sent x-gray-trace: no trace is started, collected or returned', async () => {
    const trusting = await startHop({
      name: 'inner', serverInterceptors: [grayServerInterceptor(), grayHopTraceServerInterceptor({ service: 'inner', instance: 'inner-1' })],
    });
    const edge = await startHop({
      name: 'edge', next: trusting.server.address,
      serverInterceptors: [grayServerInterceptor({ trustIncoming: false }), grayHopTraceServerInterceptor({ service: 'edge', instance: 'edge-1' })],
      clientInterceptors: [grayClientInterceptor(), grayHopTraceClientInterceptor()],
    });
    const toEdge = hopClient(edge.server.address);
    const toInner = hopClient(trusting.server.address);
    try {
      const fromEdge = await unaryWithStatus(toEdge, { id: 'x' }, withHopTrace(stageMetadata('canary')));
      expect(fromEdge.status.metadata.get(HOPS_TRAILER_KEY)).toEqual([]);
      // The same request to a trusting hop is traced: the edge's refusal is the trust rule, not a broken trace.
      const fromInner = await unaryWithStatus(toInner, { id: 'x' }, withHopTrace(stageMetadata('canary')));
      expect(readHopTrace(fromInner.status)).toMatchObject({ status: 'ok', hops: [{ service: 'inner', stage: 'canary' }] });
    } finally {
      toEdge.close();
      toInner.close();
      await stopHops([edge, trusting]);
    }
  });
});

describe('hop trace: a request with many downstream calls', () => {
  it('keeps at most what the trailer can carry, and says the trace is incomplete', async () => {
    const { HopCollector } = await import('../../src/observe/hop-collector.js');
    const { MAX_HOPS } = await import('../../src/observe/hop-trace.js');
    const collector = new HopCollector({ depth: 0, service: 'fan', instance: 'fan-1', stage: 'canary', explicit: true });
    const leaf = encodeHops([{ depth: 0, service: 'leaf', instance: 'leaf-1', stage: 'canary', explicit: true }], false);
    for (let i = 0; i < 10_000; i++) collector.addDownstream(leaf);
    expect((collector as unknown as { hops: unknown[] }).hops.length).toBeLessThan(MAX_HOPS);
    const trace = readHopTrace(collector.encode());
    expect(trace).toMatchObject({ status: 'ok', incomplete: true });
    expect(trace.status === 'ok' && trace.hops.length).toBe(MAX_HOPS);
  });
});
