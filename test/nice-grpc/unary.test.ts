/** nice-grpc server + nice-grpc client, unary calls, ts-proto generated definitions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metadata } from 'nice-grpc-common';
import { runWithStage } from '../../src/index.js';
import { grayServerMiddleware } from '../../src/nice-grpc/index.js';
import { callSignal, mismatches, niceHopClient, probeHop, startNiceServer, type NiceClient, type NiceServer } from './helpers.js';

describe('nice-grpc unary', () => {
  let server: NiceServer;
  let hop: NiceClient;

  beforeAll(async () => {
    server = await startNiceServer(probeHop(), { middleware: grayServerMiddleware({ echoStage: true }) });
    hop = niceHopClient(server.address);
  });
  afterAll(() => {
    hop.close();
    server.close();
  });

  it('the handler sees the caller\'s stage at entry and after await, and as context.gray', async () => {
    const reply = await runWithStage('canary', () => hop.client.unary({ id: 'u1' }, { signal: callSignal() }));
    expect(reply.id).toBe('u1');
    expect(reply.hops.map((h) => h.phase)).toEqual(['entry', 'after-await']);
    expect(mismatches(reply.hops, 'canary')).toEqual([]);
  });

  it('a call without a stage gets the default stage, not explicit', async () => {
    const reply = await hop.client.unary({ id: 'u2' }, { signal: callSignal() });
    expect(mismatches(reply.hops, 'stable', false)).toEqual([]);
  });

  it('an invalid incoming stage becomes the default stage; the call succeeds', async () => {
    const metadata = Metadata({ 'x-release-stage': 'NOT A STAGE!' });
    const reply = await hop.client.unary({ id: 'u3' }, { metadata, signal: callSignal() });
    expect(mismatches(reply.hops, 'stable', false)).toEqual([]);
  });

  it('echoes the resolved stage in the response header', async () => {
    let header: string | undefined;
    await runWithStage('blue', () => hop.client.unary({ id: 'u4' }, { signal: callSignal(), onHeader: (h) => (header = h.get('x-release-stage')) }));
    expect(header).toBe('blue');
  });

  it('the caller\'s explicit stage wins, and the caller\'s Metadata object is unchanged', async () => {
    const metadata = Metadata({ 'x-release-stage': 'blue', 'x-request-id': 'r-1' });
    const reply = await runWithStage('canary', () => hop.client.unary({ id: 'u5' }, { metadata, signal: callSignal() }));
    expect(mismatches(reply.hops, 'blue')).toEqual([]);
    expect([...metadata]).toEqual([['x-release-stage', ['blue']], ['x-request-id', ['r-1']]]);
  });

  it('adds the context to a copy: the caller\'s Metadata never gains the stage key', async () => {
    const metadata = Metadata({ 'x-request-id': 'r-2' });
    const reply = await runWithStage('canary', () => hop.client.unary({ id: 'u6' }, { metadata, signal: callSignal() }));
    expect(mismatches(reply.hops, 'canary')).toEqual([]);
    expect([...metadata]).toEqual([['x-request-id', ['r-2']]]);
  });

  it('keeps 500 concurrent calls with unique stages isolated', async () => {
    const n = 500;
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) => runWithStage(`s-${i}`, () => hop.client.unary({ id: String(i) }, { signal: callSignal() }))),
    );
    const bad = replies.flatMap((r, i) => (r.id === String(i) ? mismatches(r.hops, `s-${i}`) : [`call ${i} got reply ${r.id}`]));
    expect(bad).toEqual([]);
    expect(replies.reduce((sum, r) => sum + r.hops.length, 0)).toBe(n * 2);
  });
});
