/** grayHttpMiddleware in an Express 5 gateway calling a real grpc-js backend. */
import express from 'express';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createColoringRules, getGrayContext } from '../../src/index.js';
import { grayHttpMiddleware } from '../../src/http/index.js';
import { Gate, concurrentUniqueStages, gatewayReply, getJson, listen, request, startBackend, type Backend, type RunningHttp } from './helpers.js';

const TOKEN = 'qa-token';

describe('Express gateway', () => {
  let backend: Backend;
  let gateway: RunningHttp;
  let gate: Gate | undefined;
  const rules = createColoringRules([
    { stage: 'canary', match: [{ pathPrefix: '/api/v2/' }, { query: 'lane', equals: 'canary' }] },
    { stage: 'beta', match: { header: 'x-user-group', oneOf: ['beta', 'staff'] } },
  ]);

  beforeAll(async () => {
    backend = await startBackend();
    const app = express();
    app.use(grayHttpMiddleware({ trust: { tokenHeader: 'x-gray-token', tokens: [TOKEN] }, rules, echoStage: 'x-served-stage' }));
    // A later middleware and an async route both see the context.
    app.use((_req, res, next) => {
      res.locals.stageAtMiddleware = getGrayContext()?.stage ?? null;
      next();
    });
    app.post('/api/echo', express.json(), (req, res) => void res.json({ stage: getGrayContext()?.stage ?? null, body: req.body as unknown }));
    app.get('/healthz', (_req, res) => void res.json({ context: getGrayContext() ?? null }));
    const api = express.Router();
    api.get('/call', async (req, res) => {
      const reply = await gatewayReply(backend.client, String(req.query.id ?? 'x'), gate);
      res.json({ ...reply, atMiddleware: res.locals.stageAtMiddleware });
    });
    app.use('/api/v1', api);
    app.use('/api/v2', api);
    gateway = await listen(http.createServer(app));
  });
  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
  });

  it('ignores an untrusted tag, accepts a token-admitted one, ignores a wrong token', async () => {
    expect(await getJson(gateway.port, '/api/v1/call?id=1', { 'x-release-stage': 'canary' })).toMatchObject({ local: 'stable', downstream: 'stable' });
    expect(await getJson(gateway.port, '/api/v1/call?id=2', { 'x-gray-token': TOKEN, 'x-release-stage': 'canary' })).toMatchObject({ local: 'canary', downstream: 'canary', atMiddleware: 'canary' });
    expect(await getJson(gateway.port, '/api/v1/call?id=3', { 'x-gray-token': 'nope', 'x-release-stage': 'canary' })).toMatchObject({ local: 'stable', downstream: 'stable' });
  });

  it('applies path (original URL of a mounted router), query and header rules', async () => {
    expect((await getJson(gateway.port, '/api/v2/call?id=4&lane=canary')).downstream).toBe('canary');
    expect((await getJson(gateway.port, '/api/v1/call?id=5&lane=canary')).downstream).toBe('stable');
    expect((await getJson(gateway.port, '/api/v1/call?id=6', { 'x-user-group': 'staff' })).downstream).toBe('beta');
  });

  it('echoes the stage under the configured header, but not on health checks, which get no context', async () => {
    const res = await request(gateway.port, '/api/v1/call?id=7', { 'x-user-group': 'beta' });
    expect(res.headers['x-served-stage']).toBe('beta');
    const health = await request(gateway.port, '/healthz', { 'x-gray-token': TOKEN, 'x-release-stage': 'canary' });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ context: null });
    expect(health.headers['x-served-stage']).toBeUndefined();
  });

  it('the context survives express.json() reading a body that arrives after the headers', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gateway.port, path: '/api/echo', method: 'POST', headers: { 'content-type': 'application/json', 'x-gray-token': TOKEN, 'x-release-stage': 'blue' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.flushHeaders();
      setTimeout(() => req.end('{"n":1}'), 40);
    });
    expect(JSON.parse(body)).toEqual({ stage: 'blue', body: { n: 1 } });
  });

  it('keeps 1,000 concurrent requests isolated through Express and the gRPC backend', async () => {
    gate = new Gate(1000);
    try {
      const { mismatches, done } = await concurrentUniqueStages(gateway.port, 1000, TOKEN, '/api/v1/call');
      expect(done).toBe(1000);
      expect(mismatches).toBe(0);
      expect(gate.peak).toBe(1000);
    } finally {
      gate = undefined;
    }
  });
});
