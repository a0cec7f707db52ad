/**
 * What an untrusted client cannot inject at an HTTP edge: graylane's control keys, stage aliases
 * (however configured) and the secret trust-token header never reach the context or a downstream hop.
 */
import * as grpc from '@grpc/grpc-js';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError, createGrayPolicy, getGrayContext } from 'graylane';
import { grayServerInterceptor } from 'graylane/grpc-js';
import { grayHttpHandler, withGrayHeaders, type GrayHttpOptions } from 'graylane/http';
import { HOP_TRACE_KEY, HOPS_TRAILER_KEY } from 'graylane/observe';
import { hopClient, startServer, unary } from '../helpers/grpc.js';
import { listen, request, type RunningHttp } from './helpers.js';

const TOKEN = 'tester-secret';

/** What the gateway's context held and what the internal hop behind it received. */
interface Seen { stage: string; entries: Record<string, string>; downstream: Record<string, string | string[] | undefined> }

describe('untrusted callers cannot inject keys at the HTTP edge', () => {
  let internal: RunningHttp;
  const gateways: RunningHttp[] = [];

  beforeAll(async () => {
    // An internal hop: answers with the headers it received.
    internal = await listen(http.createServer((req, res) => res.end(JSON.stringify(req.headers))));
  });
  afterAll(async () => {
    for (const g of gateways) await g.close();
    await internal?.close();
  });

  /** A gateway with `options` that calls the internal hop through `withGrayHeaders`. */
  async function gateway(options: GrayHttpOptions): Promise<(headers: Record<string, string>) => Promise<Seen>> {
    const g = await listen(http.createServer(grayHttpHandler(async (_req, res) => {
      const ctx = getGrayContext()!;
      const downstream = await fetch(`http://127.0.0.1:${internal.port}/`, { headers: withGrayHeaders() }).then((r) => r.json());
      res.end(JSON.stringify({ stage: ctx.stage, entries: { ...ctx.entries }, downstream }));
    }, options)));
    gateways.push(g);
    return async (headers) => JSON.parse((await request(g.port, '/x', headers)).body) as Seen;
  }

  it.each(['x-gray-', 'x-'])("keyPrefix '%s': a client's x-gray-trace / x-gray-hops reach neither the context nor the next hop", async (keyPrefix) => {
    const call = await gateway({ keyPrefix });
    const seen = await call({ [HOP_TRACE_KEY]: '1', [HOPS_TRAILER_KEY]: '0;a;b;canary;1', 'x-gray-user': 'u1' });
    expect(seen.entries).toEqual({ 'x-gray-user': 'u1' });
    expect(seen.downstream[HOP_TRACE_KEY]).toBeUndefined();
    expect(seen.downstream[HOPS_TRAILER_KEY]).toBeUndefined();
    expect(seen.downstream['x-gray-user']).toBe('u1');
  });

  it('a control key listed by name in keys is still not taken from an untrusted caller', async () => {
    const call = await gateway({ keys: [HOP_TRACE_KEY, 'x-user'] });
    const seen = await call({ [HOP_TRACE_KEY]: '1', 'x-user': 'u1' });
    expect(seen.entries).toEqual({ 'x-user': 'u1' });
  });

  it('a token-admitted caller may ask for a hop trace; the token itself is never forwarded', async () => {
    const call = await gateway({ keyPrefix: 'x-gray-', trust: { tokenHeader: 'x-gray-token', tokens: [TOKEN] } });
    const seen = await call({ 'x-gray-token': TOKEN, 'x-release-stage': 'canary', [HOP_TRACE_KEY]: '1' });
    expect(seen.stage).toBe('canary');
    expect(seen.entries).toEqual({ 'x-release-stage': 'canary', [HOP_TRACE_KEY]: '1' });
    expect(seen.downstream['x-gray-token']).toBeUndefined();
    const untrusted = await call({ 'x-gray-token': 'wrong', 'x-release-stage': 'canary', [HOP_TRACE_KEY]: '1' });
    expect(untrusted.entries).toEqual({});
    expect(untrusted.downstream['x-gray-token']).toBeUndefined();
  });

  it('with trustIncoming: true and a token rule, the token header is still never forwarded', async () => {
    const call = await gateway({ trustIncoming: true, keyPrefix: 'x-gray-', trust: { tokenHeader: 'X-Gray-Token', tokens: [TOKEN] } });
    const seen = await call({ 'x-gray-token': TOKEN, 'x-release-stage': 'canary', 'x-gray-user': 'u1' });
    expect(seen.entries).toEqual({ 'x-release-stage': 'canary', 'x-gray-user': 'u1' });
    expect(seen.downstream['x-gray-token']).toBeUndefined();
  });

  it('listing the token header in keys is refused', () => {
    expect(() => grayHttpHandler(() => undefined, { keys: ['x-gray-token'], trust: { tokenHeader: 'x-gray-token', tokens: [TOKEN] } })).toThrow(GrayConfigError);
    expect(() => grayHttpHandler(() => undefined, { keys: ['x-gray-token'], trust: { tokenHeader: 'x-gray-token', tokens: [TOKEN] } })).toThrow(/token header/);
  });

  it('a key configured both as alias and as extra key is refused', () => {
    const options = { aliases: ['x-canary-version'], keys: ['x-canary-version'] };
    expect(() => createGrayPolicy(options)).toThrow(GrayConfigError);
    expect(() => createGrayPolicy(options)).toThrow(/x-canary-version.*both/);
    expect(() => grayHttpHandler(() => undefined, options)).toThrow(GrayConfigError);
  });

  it('an untrusted alias never reaches the next hop, whatever the prefix covers', async () => {
    const call = await gateway({ aliases: ['x-canary-version'], keyPrefix: 'x-' });
    const seen = await call({ 'x-canary-version': 'canary', 'x-release-stage': 'canary' });
    expect(seen).toMatchObject({ stage: 'stable', entries: {} });
    expect(seen.downstream['x-canary-version']).toBeUndefined();
    expect(seen.downstream['x-release-stage']).toBeUndefined();
  });
});

describe('untrusted callers cannot inject control keys at a gRPC edge', () => {
  it("a grpc-js edge (trustIncoming: false, keyPrefix 'x-gray-') drops a client's x-gray-trace", async () => {
    const server = await startServer({
      unary: (call: grpc.ServerUnaryCall<{ id: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const ctx = getGrayContext();
        cb(null, { id: call.request.id, hops: [{ service: 's', instance: JSON.stringify(ctx?.entries ?? null), stage: ctx?.stage ?? 'none', explicit: false, phase: 'entry' }] });
      },
    }, { interceptors: [grayServerInterceptor({ trustIncoming: false, keyPrefix: 'x-gray-' })] });
    const client = hopClient(server.address);
    try {
      const md = new grpc.Metadata();
      md.set(HOP_TRACE_KEY, '1');
      md.set('x-gray-user', 'u1');
      const reply = await unary(client, { id: 'a' }, md);
      expect(JSON.parse(reply.hops[0]!.instance)).toEqual({ 'x-gray-user': 'u1' });
    } finally {
      client.close();
      await server.close();
    }
  });
});
