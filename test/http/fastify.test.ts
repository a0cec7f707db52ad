/** grayFastifyPlugin in a Fastify 5 gateway calling a real grpc-js backend. */
import Fastify, { type FastifyInstance } from 'fastify';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError, createColoringRules, getGrayContext } from '../../src/index.js';
import { grayFastifyPlugin } from '../../src/http/index.js';
import { Gate, concurrentUniqueStages, gatewayReply, getJson, request, startBackend, type Backend } from './helpers.js';

const TOKEN = 'fastify-token';

describe('Fastify gateway', () => {
  let backend: Backend;
  let app: FastifyInstance;
  let port: number;
  let gate: Gate | undefined;
  const seenInHooks: Record<string, string | null> = {};
  const rules = createColoringRules([{ stage: 'canary', match: { header: 'x-user-group', equals: 'qa' } }]);

  beforeAll(async () => {
    backend = await startBackend();
    app = Fastify();
    await app.register(grayFastifyPlugin, { trust: { tokenHeader: 'x-gray-token', tokens: [TOKEN] }, rules, echoStage: true });
    // Routes and hooks in a sibling, encapsulated plugin: the gray hooks still apply (skip-override).
    await app.register(async (child) => {
      child.addHook('preHandler', async (req) => {
        await new Promise((r) => setImmediate(r));
        seenInHooks[String((req.query as { id?: string }).id)] = getGrayContext()?.stage ?? null;
      });
      child.get('/call', async (req) => gatewayReply(backend.client, String((req.query as { id?: string }).id ?? 'x'), gate));
      child.post('/call', async (req) => {
        const body = req.body as { id: string };
        return { ...(await gatewayReply(backend.client, body.id)), bodyId: body.id };
      });
      child.get('/healthz', async () => ({ context: getGrayContext() ?? null }));
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await app?.close();
    await backend?.close();
  });

  it('the context reaches GET handlers and async preHandler hooks; untrusted tags are ignored', async () => {
    expect(await getJson(port, '/call?id=g1', { 'x-gray-token': TOKEN, 'x-release-stage': 'canary' })).toMatchObject({ local: 'canary', downstream: 'canary' });
    expect(seenInHooks.g1).toBe('canary');
    expect(await getJson(port, '/call?id=g2', { 'x-release-stage': 'canary' })).toMatchObject({ local: 'stable', downstream: 'stable' });
    expect(await getJson(port, '/call?id=g3', { 'x-gray-token': 'bad', 'x-release-stage': 'canary' })).toMatchObject({ local: 'stable', downstream: 'stable' });
    expect(await getJson(port, '/call?id=g4', { 'x-user-group': 'qa' })).toMatchObject({ local: 'canary', downstream: 'canary' });
  });

  it('the context survives body parsing: POST handlers see it', async () => {
    const body = JSON.stringify({ id: 'p1' });
    const res = await request(port, '/call?id=p1', { 'content-type': 'application/json', 'x-gray-token': TOKEN, 'x-release-stage': 'blue' }, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ bodyId: 'p1', local: 'blue', downstream: 'blue' });
    expect(seenInHooks.p1).toBe('blue');
    expect(res.headers['x-release-stage']).toBe('blue');
  });

  it('the context survives a body that arrives after the headers, in pieces', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/call?id=p2', method: 'POST', headers: { 'content-type': 'application/json', 'x-gray-token': TOKEN, 'x-release-stage': 'green' } }, (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.flushHeaders();
      setTimeout(() => {
        req.write('{"id":');
        setTimeout(() => req.end('"p2"}'), 30);
      }, 30);
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ bodyId: 'p2', local: 'green', downstream: 'green' });
    expect(seenInHooks.p2).toBe('green');
  });

  it('health checks get no context and no echo', async () => {
    const res = await request(port, '/healthz', { 'x-gray-token': TOKEN, 'x-release-stage': 'canary', 'x-user-group': 'qa' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ context: null });
    expect(res.headers['x-release-stage']).toBeUndefined();
  });

  it('keeps 1,000 concurrent requests isolated through Fastify and the gRPC backend', async () => {
    gate = new Gate(1000);
    try {
      const { mismatches, done } = await concurrentUniqueStages(port, 1000, TOKEN);
      expect(done).toBe(1000);
      expect(mismatches).toBe(0);
      expect(gate.peak).toBe(1000);
    } finally {
      gate = undefined;
    }
  });

  it('re-enters the context after hooks that resume from a foreign context (e.g. a pooled limiter)', async () => {
    // A preParsing hook that parks `done` in a queue drained by a timer created outside any request.
    const parked: (() => void)[] = [];
    const drain = setInterval(() => parked.splice(0).forEach((resume) => resume()), 5);
    const limited = Fastify();
    try {
      await limited.register(grayFastifyPlugin, { trustIncoming: true });
      limited.addHook('preParsing', (_req, _reply, payload, done) => void parked.push(() => done(null, payload)));
      limited.get('/x', async () => ({ stage: getGrayContext()?.stage ?? null }));
      await limited.listen({ port: 0, host: '127.0.0.1' });
      const limitedPort = (limited.server.address() as { port: number }).port;
      const replies = await Promise.all(['blue', 'green', 'canary'].map((stage) => getJson<{ stage: string }>(limitedPort, '/x', { 'x-release-stage': stage })));
      expect(replies.map((r) => r.stage)).toEqual(['blue', 'green', 'canary']);
    } finally {
      clearInterval(drain);
      await limited.close();
    }
  });

  it('bad options reject registration with GrayConfigError', async () => {
    const broken = Fastify();
    try {
      await expect(broken.register(grayFastifyPlugin, { rules: [{ stage: 'Nope!' }] })).rejects.toThrow(GrayConfigError);
    } finally {
      await broken.close().catch(() => undefined);
    }
  });
});
