import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Counter, Registry } from 'prom-client';
import { grayHttpMiddleware } from '../../src/http/index.js';
import { GrayConfigError } from '../../src/core/errors.js';
import { grayClientInterceptor } from '../../src/grpc-js/client-interceptor.js';
import { grayServerInterceptor } from '../../src/grpc-js/server-interceptor.js';
import { grayClientMetricsInterceptor, grayServerMetricsInterceptor } from 'graylane/observe/grpc-js';
import { grayHttpMetricsMiddleware } from 'graylane/observe/http';
import { runWithStage } from '../../src/core/context.js';
import { hopClient, startServer, type HopClient, type HopReply, type HopRequest, type RunningServer } from '../helpers/grpc.js';
import { stageMetadata, unaryWithStatus } from './chain.js';
import { sumBy } from '../helpers/prom.js';

const JUNK = ['Z'.repeat(100), '../../etc', 'blue', 'v2', 'canary ', 'CANARY', '', 'a b', 'rand-1', 'rand-2', 'rand-3'];

describe('grpc-js metrics per stage', () => {
  const serverRegistry = new Registry();
  const clientRegistry = new Registry();
  let running: RunningServer;
  let client: HopClient;

  beforeAll(async () => {
    running = await startServer({
      unary(call: grpc.ServerUnaryCall<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
        if (call.request.id.startsWith('fail')) return cb({ code: grpc.status.UNAVAILABLE, details: 'injected' });
        cb(null, { id: call.request.id, hops: [] });
      },
    }, { interceptors: [grayServerInterceptor(), grayServerMetricsInterceptor({ registry: serverRegistry })] });
    client = hopClient(running.address, { interceptors: [grayClientInterceptor(), grayClientMetricsInterceptor({ registry: clientRegistry })] });
  });

  afterAll(async () => {
    client?.close();
    await running?.close();
  });

  it('labels calls by stage and code, and folds junk stages into a bounded set', async () => {
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < 20; i++) calls.push(unaryWithStatus(client, { id: `s${i}` }, stageMetadata('stable')));
    for (let i = 0; i < 10; i++) calls.push(unaryWithStatus(client, { id: `c${i}` }, stageMetadata('canary')));
    for (let i = 0; i < 4; i++) calls.push(unaryWithStatus(client, { id: `fail${i}` }, stageMetadata('canary')));
    for (let i = 0; i < 5; i++) calls.push(runWithStage('canary', () => unaryWithStatus(client, { id: `ctx${i}` })));
    for (const junk of JUNK) calls.push(unaryWithStatus(client, { id: `j-${junk}` }, stageMetadata(junk)));
    for (let i = 0; i < 3; i++) calls.push(unaryWithStatus(client, { id: `none${i}` }));
    await Promise.all(calls);

    // Server: valid-but-unlisted stages (blue, v2, rand-*) → other; malformed ones (and 'canary ',
    // whose trailing space grpc-js drops on the wire) → the default stage; 'CANARY' → canary.
    const byStage = await sumBy(serverRegistry, 'grpc_server_handled_total', 'release_stage');
    expect(byStage).toEqual({ stable: 20 + 5 + 3, canary: 10 + 4 + 5 + 1, other: 5 });
    expect(await sumBy(serverRegistry, 'grpc_server_handled_total', 'grpc_code', { release_stage: 'canary' })).toEqual({ OK: 16, UNAVAILABLE: 4 });
    expect(await sumBy(serverRegistry, 'grpc_server_handling_seconds', 'release_stage')).toEqual(byStage);
    const text = await serverRegistry.metrics();
    expect(text).toContain('grpc_server_handled_total{grpc_type="unary",grpc_service="graylane.hop.v1.Hop",grpc_method="Unary",grpc_code="UNAVAILABLE",release_stage="canary"} 4');

    // Client: the caller labels what it sent, so 'canary ' counts as canary there.
    const sent = { stable: 27, canary: 21, other: 5 };
    expect(await sumBy(clientRegistry, 'grpc_client_handled_total', 'release_stage')).toEqual(sent);
    expect(await sumBy(clientRegistry, 'grpc_client_handling_seconds', 'release_stage')).toEqual(sent);
  });

  it('keeps the stage label bounded for any junk a client sends', async () => {
    const calls = Array.from({ length: 120 }, (_, i) =>
      unaryWithStatus(client, { id: `r${i}` }, stageMetadata(`junk-${i}-${Math.random().toString(36).slice(2)}`)));
    await Promise.all(calls);
    const stages = Object.keys(await sumBy(serverRegistry, 'grpc_server_handled_total', 'release_stage'));
    expect(stages.sort()).toEqual(['canary', 'other', 'stable']);
  });

  it('validates options at construction and reuses metrics already in the registry', () => {
    expect(() => grayServerMetricsInterceptor({} as never)).toThrow(GrayConfigError);
    expect(() => grayServerMetricsInterceptor({ registry: new Registry(), stages: [] })).toThrow(GrayConfigError);
    expect(() => grayServerMetricsInterceptor({ registry: new Registry(), stages: ['Canary'] })).toThrow(GrayConfigError);
    expect(() => grayServerMetricsInterceptor({ registry: new Registry(), buckets: [1, 0.5] })).toThrow(GrayConfigError);
    expect(() => grayServerMetricsInterceptor({ registry: serverRegistry })).not.toThrow();
    const clash = new Registry();
    new Counter({ name: 'grpc_server_handled_total', help: 'x', labelNames: ['a'], registers: [clash] });
    expect(() => grayServerMetricsInterceptor({ registry: clash })).toThrow(GrayConfigError);
  });
});

describe('method labels stay bounded', () => {
  it('a client forwarding caller-chosen method paths (a gateway) cannot grow the label set past the cap', async () => {
    const registry = new Registry();
    const running = await startServer({ unary: (_c: unknown, cb: grpc.sendUnaryData<HopReply>) => cb(null, { id: '', hops: [] }) });
    const gateway = new grpc.Client(running.address, grpc.credentials.createInsecure(), { interceptors: [grayClientMetricsInterceptor({ registry })] });
    const call = (path: string): Promise<void> => new Promise((resolve) => {
      gateway.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), () => resolve());
    });
    try {
      for (let batch = 0; batch < 12; batch++) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => call(`/attacker.S${batch * 100 + i}/M${Math.random().toString(36).slice(2)}`)));
      }
      const series = (await registry.getMetricsAsJSON()).find((m) => m.name === 'grpc_client_handled_total')!.values;
      const methods = new Set(series.map((v) => `${v.labels['grpc_service']}/${v.labels['grpc_method']}`));
      expect(series.reduce((n, v) => n + v.value, 0)).toBe(1200); // every call is still counted
      expect(methods.size).toBeLessThanOrEqual(1025);
      expect(methods.has('other/other')).toBe(true);
    } finally {
      gateway.close();
      await running.close();
    }
  });
});

describe('HTTP metrics middleware', () => {
  const registry = new Registry();
  let server: Server;
  let base: string;

  beforeAll(async () => {
    // The metrics record the stage the edge decided; this edge trusts every client, so the junk is the clients'.
    const edge = grayHttpMiddleware({ trustIncoming: true });
    const mw = grayHttpMetricsMiddleware({ registry, stages: ['stable', 'canary'] });
    server = createServer((req, res) => edge(req, res, () => mw(req, res, () => {
      res.statusCode = req.url === '/boom' ? 503 : 200;
      res.end('ok');
    })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('counts requests per stage and status with a bounded stage label', async () => {
    const send = (path: string, stage?: string): Promise<Response> =>
      fetch(base + path, { headers: stage === undefined ? {} : { 'x-release-stage': stage } }).then(async (r) => (await r.text(), r));
    await Promise.all([
      ...Array.from({ length: 6 }, () => send('/', 'canary')),
      ...Array.from({ length: 2 }, () => send('/boom', 'canary')),
      ...Array.from({ length: 4 }, () => send('/')),
      ...JUNK.filter((j) => !/[^\x20-\x7e]/.test(j)).map((j) => send('/', j)),
    ]);
    const byStage = await sumBy(registry, 'http_requests_total', 'release_stage');
    expect(Object.keys(byStage).sort()).toEqual(['canary', 'other', 'stable']);
    expect(byStage['canary']).toBe(8 + 2);
    expect(await sumBy(registry, 'http_requests_total', 'code', { release_stage: 'canary' })).toEqual({ 200: 8, 503: 2 });
    expect(await sumBy(registry, 'http_request_duration_seconds', 'release_stage')).toEqual(byStage);
  });
});

describe('HTTP metrics behind the graylane edge middleware (Express)', () => {
  it('labels the stage the edge decided, not the one an untrusted client claimed', async () => {
    const registry = new Registry();
    const app = express();
    app.use(grayHttpMiddleware({ trust: { tokenHeader: 'x-gray-token', tokens: ['secret'] } }));
    app.use(grayHttpMetricsMiddleware({ registry }));
    app.get('/', (_req, res) => { res.send('ok'); });
    const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const send = async (headers: Record<string, string>): Promise<void> => { await (await fetch(url, { headers })).text(); };
      await Promise.all([
        ...Array.from({ length: 5 }, () => send({ 'x-release-stage': 'canary' })), // untrusted: stays stable
        ...Array.from({ length: 3 }, () => send({ 'x-release-stage': 'canary', 'x-gray-token': 'secret' })),
      ]);
      expect(await sumBy(registry, 'http_requests_total', 'release_stage')).toEqual({ stable: 5, canary: 3 });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
