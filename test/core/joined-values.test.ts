/**
 * A stage sent as two values: HTTP/2 (gRPC) and node:http hand it over comma-joined
 * (`canary, beta`). graylane takes the first value, as gRPC's spec reads a joined value.
 */
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrayPolicy, extractGrayContext, getGrayContext, parseStage, recordCarrier, type GrayInvalidEvent } from 'graylane';
import { grayServerInterceptor } from 'graylane/grpc-js';
import { grayHttpHandler } from 'graylane/http';
import { hopClient, startServer, unary, type HopClient, type RunningServer } from '../helpers/grpc.js';
import { listen, type RunningHttp } from '../http/helpers.js';

const stage = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);

describe('a stage sent twice arrives joined; the first value wins', () => {
  let server: RunningServer;
  let client: HopClient;
  let gateway: RunningHttp;
  const events: GrayInvalidEvent[] = [];

  beforeAll(async () => {
    const policy = createGrayPolicy({ aliases: ['x-canary-version'], onInvalid: (e) => events.push(e) });
    server = await startServer({
      unary: (call: grpc.ServerUnaryCall<{ id: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const ctx = getGrayContext();
        const raw = call.metadata.get('x-release-stage').concat(call.metadata.get('x-canary-version')).join('|');
        cb(null, { id: call.request.id, hops: [{ service: 's', instance: raw, stage: ctx?.stage ?? 'none', explicit: ctx?.explicit ?? false, phase: 'entry' }] });
      },
    }, { interceptors: [grayServerInterceptor({ policy })] });
    client = hopClient(server.address);
    gateway = await listen(http.createServer(grayHttpHandler((req, res) => {
      res.end(JSON.stringify({ stage: getGrayContext()?.stage, raw: req.headers['x-release-stage'] }));
    }, { trustIncoming: true })));
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    await gateway?.close();
  });

  it('grpc-js: a client that adds the key twice (md.add) reaches the handler as the first stage', async () => {
    events.length = 0;
    const md = new grpc.Metadata();
    md.add('x-release-stage', 'canary');
    md.add('x-release-stage', 'beta');
    const reply = await unary(client, { id: 'a' }, md);
    expect(reply.hops[0]).toMatchObject({ instance: 'canary, beta', stage: 'canary', explicit: true });
    expect(events).toEqual([]);
  });

  it('grpc-js: the same for an alias, and a first value that is invalid falls back to the default', async () => {
    const alias = new grpc.Metadata();
    alias.add('x-canary-version', 'v2');
    alias.add('x-canary-version', 'v3');
    expect((await unary(client, { id: 'b' }, alias)).hops[0]).toMatchObject({ stage: 'v2', explicit: true });

    events.length = 0;
    const bad = new grpc.Metadata();
    bad.add('x-release-stage', 'Ca nary!');
    bad.add('x-release-stage', 'canary');
    expect((await unary(client, { id: 'c' }, bad)).hops[0]).toMatchObject({ stage: 'stable', explicit: false });
    expect(events.map((e) => e.reason)).toEqual(['bad-characters']);
  });

  it('node:http: a duplicated raw header reaches the handler as the first stage', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      // An array value makes node:http send the header line twice.
      const req = http.request({ host: '127.0.0.1', port: gateway.port, path: '/', headers: { 'x-release-stage': ['canary', 'beta'] } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(body)).toEqual({ stage: 'canary', raw: 'canary, beta' });
  });

  it('property: for any two stages, the joined value parses as the first (any spacing)', () => {
    fc.assert(fc.property(stage, stage, fc.constantFrom(',', ', ', ' , ', ',\t'), (a, b, sep) => {
      expect(parseStage(`${a}${sep}${b}`)).toEqual({ ok: true, stage: a });
      const ctx = extractGrayContext({ 'x-release-stage': `${a}${sep}${b}` }, recordCarrier);
      expect(ctx.stage).toBe(a);
    }), { numRuns: 500 });
  });

  it('an empty first value is empty, not the second value', () => {
    expect(parseStage(', canary')).toEqual({ ok: false, reason: 'empty' });
  });
});
