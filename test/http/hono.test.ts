/**
 * The Fetch-API edge: grayHonoMiddleware on a real Hono app and grayFetchHandler, both served by
 * @hono/node-server on 127.0.0.1:0. The edge decision is the Node middleware's (untrusted by
 * default, token trust, rules, health paths, echo), and the context reaches later middleware, the
 * handler, its awaits, hono/streaming bodies and outgoing grpc-js and fetch calls.
 */
import http from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getGrayContext, getReleaseStage, type GrayInvalidEvent } from 'graylane';
import { grayFetchHandler, grayHonoMiddleware, grayHttpMiddleware, withGrayHeaders } from 'graylane/http';
import { startBackend, listen, request, type Backend, type RunningHttp } from './helpers.js';
import { unary } from '../helpers/grpc.js';

const TOKEN = 'qa-secret';
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const seen = (): { stage: string; explicit: boolean; entries: Record<string, string> } => {
  const ctx = getGrayContext();
  return { stage: ctx?.stage ?? 'none', explicit: ctx?.explicit ?? false, entries: { ...ctx?.entries } };
};

describe('grayHonoMiddleware on a real Hono app', () => {
  let backend: Backend;
  let echoBackend: RunningHttp;
  let app: RunningHttp;
  const invalid: GrayInvalidEvent[] = [];

  beforeAll(async () => {
    backend = await startBackend();
    // A plain HTTP service behind the gateway, trusting its caller: answers the stage it received.
    echoBackend = await listen(http.createServer((req, res) => grayHttpMiddleware({ trustIncoming: true })(req, res, () => res.end(getReleaseStage()))));
    const hono = new Hono();
    hono.use(grayHonoMiddleware({
      keyPrefix: 'x-gray-',
      trust: { tokenHeader: 'x-gray-token', tokens: [TOKEN] },
      rules: [{ stage: 'canary', match: { header: 'x-user-group', equals: 'beta' } }],
      echoStage: true,
      onInvalid: (e) => invalid.push(e),
    }));
    let later = 'none';
    hono.use(async (_c, next) => {
      later = getReleaseStage();
      await next();
    });
    hono.get('/seen', async (c) => {
      const entry = seen();
      await tick();
      return c.json({ entry, after: seen(), later });
    });
    hono.get('/healthz', (c) => c.json(seen()));
    hono.get('/own-echo', (c) => {
      c.header('x-release-stage', 'mine');
      return c.text('ok');
    });
    hono.get('/raw', () => new Response(getReleaseStage()));
    hono.get('/calls', async (c) => {
      const grpc = await unary(backend.client, { id: 'h' });
      const viaFetch = await (await fetch(`http://127.0.0.1:${echoBackend.port}/`, { headers: withGrayHeaders({}) })).text();
      return c.json({ local: getReleaseStage(), grpc: grpc.hops[0]!.stage, fetch: viaFetch });
    });
    hono.get('/stream', (c) => stream(c, async (s) => {
      for (let i = 0; i < 3; i++) {
        await tick();
        await s.write(`${getReleaseStage()};`);
      }
    }));
    app = await listen(createAdaptorServer({ fetch: hono.fetch }) as http.Server);
  });
  afterAll(async () => {
    await app.close();
    await echoBackend.close();
    await backend.close();
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(app.port, path, headers);
    return { ...res, json: res.headers['content-type']?.includes('json') ? JSON.parse(res.body) : undefined };
  };

  it('a client-supplied stage is not believed by default (reported as untrusted); with the token it is', async () => {
    invalid.length = 0;
    const spoofed = await get('/seen', { 'x-release-stage': 'canary' });
    expect(spoofed.json.entry).toMatchObject({ stage: 'stable', explicit: false });
    expect(invalid).toEqual([expect.objectContaining({ key: 'x-release-stage', reason: 'untrusted' })]);
    const trusted = await get('/seen', { 'x-release-stage': 'canary', 'x-gray-token': TOKEN });
    expect(trusted.json).toMatchObject({ entry: { stage: 'canary', explicit: true }, after: { stage: 'canary' }, later: 'canary' });
    expect(trusted.json.entry.entries).not.toHaveProperty('x-gray-token');
    const wrongToken = await get('/seen', { 'x-release-stage': 'canary', 'x-gray-token': 'guess' });
    expect(wrongToken.json.entry.stage).toBe('stable');
  });

  it('hostile input: joined values take the first, control keys and prototype names stay inert, huge values fall back', async () => {
    const joined = await get('/seen', { 'x-release-stage': 'canary, beta', 'x-gray-token': TOKEN });
    expect(joined.json.entry.stage).toBe('canary');
    const control = await get('/seen', { 'x-gray-trace': '1', 'x-gray-__proto__': 'x', 'x-gray-constructor': 'y' });
    expect(control.json.entry.entries).not.toHaveProperty('x-gray-trace');
    expect(control.json.entry.entries).toMatchObject({ 'x-gray-__proto__': 'x', 'x-gray-constructor': 'y' });
    expect(Object.getPrototypeOf({})).not.toHaveProperty('x');
    const huge = await get('/seen', { 'x-release-stage': 'c'.repeat(8000), 'x-gray-token': TOKEN, 'x-gray-big': 'v'.repeat(8000) });
    expect(huge.status).toBe(200);
    expect(huge.json.entry).toMatchObject({ stage: 'stable', explicit: false });
    expect(huge.json.entry.entries).not.toHaveProperty('x-gray-big');
  });

  it('coloring rules color untrusted requests; health paths get no context and are never colored', async () => {
    expect((await get('/seen', { 'x-user-group': 'beta' })).json.entry.stage).toBe('canary');
    expect((await get('/healthz', { 'x-user-group': 'beta' })).json.stage).toBe('none');
    expect((await get('/a/../healthz', { 'x-user-group': 'beta' })).json.stage).toBe('none');
  });

  it('echoes the stage; a header the handler set wins; a raw Response gets it too', async () => {
    expect((await get('/seen', { 'x-user-group': 'beta' })).headers['x-release-stage']).toBe('canary');
    expect((await get('/own-echo', { 'x-user-group': 'beta' })).headers['x-release-stage']).toBe('mine');
    const raw = await get('/raw', { 'x-user-group': 'beta' });
    expect(raw.body).toBe('canary');
    expect(raw.headers['x-release-stage']).toBe('canary');
  });

  it('outgoing grpc-js and fetch calls from the handler carry the stage', async () => {
    const r = await get('/calls', { 'x-release-stage': 'canary', 'x-gray-token': TOKEN });
    expect(r.json).toEqual({ local: 'canary', grpc: 'canary', fetch: 'canary' });
  });

  it('500 concurrent requests with unique stages through a hono/streaming body: 0 lost, 0 crossed', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
    try {
      const bodies = await Promise.all(Array.from({ length: 500 }, async (_, i) => {
        const res = await new Promise<string>((resolve, reject) => {
          const req = http.get({ host: '127.0.0.1', port: app.port, path: '/stream', agent, headers: { 'x-release-stage': `s-${i}`, 'x-gray-token': TOKEN } }, (r) => {
            let body = '';
            r.setEncoding('utf8');
            r.on('data', (c: string) => (body += c));
            r.on('end', () => resolve(body));
          });
          req.on('error', reject);
        });
        return { i, res };
      }));
      const bad = bodies.filter(({ i, res }) => res !== `s-${i};`.repeat(3));
      expect(bad).toEqual([]);
    } finally {
      agent.destroy();
    }
  });
});

describe('grayFetchHandler', () => {
  let app: RunningHttp;
  beforeAll(async () => {
    const handler = grayFetchHandler(async (req: Request) => {
      await tick();
      return Response.json({ stage: getReleaseStage(), path: new URL(req.url).pathname });
    }, { trustIncoming: true, echoStage: 'x-served-stage' });
    app = await listen(createAdaptorServer({ fetch: handler }) as http.Server);
  });
  afterAll(() => app.close());

  it('runs the handler in the decided context and echoes it', async () => {
    const res = await request(app.port, '/x', { 'x-release-stage': 'Canary, beta' });
    expect(JSON.parse(res.body)).toEqual({ stage: 'canary', path: '/x' });
    expect(res.headers['x-served-stage']).toBe('canary');
    const health = await request(app.port, '/livez', { 'x-release-stage': 'canary' });
    expect(JSON.parse(health.body).stage).toBe('stable');
    expect(health.headers['x-served-stage']).toBeUndefined();
  });

  it('echoes on a response with immutable headers (a fetch response passed through)', async () => {
    const upstream = await listen(http.createServer((_req, res) => res.end('up')));
    try {
      const proxy = grayFetchHandler(() => fetch(`http://127.0.0.1:${upstream.port}/`), { trustIncoming: true, echoStage: true });
      const res = await proxy(new Request('http://gw.local/p', { headers: { 'x-release-stage': 'canary' } }));
      expect(res.headers.get('x-release-stage')).toBe('canary');
      expect(await res.text()).toBe('up');
    } finally {
      await upstream.close();
    }
  });
});
