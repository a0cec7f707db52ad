/**
 * graylane behind a real nginx running examples/nginx/graylane.conf (listen address, upstream and
 * secret rewritten for the test): nginx decides the lane by header, cookie or weight and passes it
 * with a token only nginx sets; the graylane HTTP edge (examples/nginx/edge.ts) trusts only that
 * token; a grpc-js chain behind it sees the lane at every hop. Forged tokens, stages, aliases and
 * control keys never get through; health checks pass untouched.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getGrayContext, getReleaseStage } from 'graylane';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import { hopClient, startServer, unary, type HopClient, type HopRecord, type RunningServer } from '../helpers/grpc.js';
import { hopImpl } from '../helpers/hop-service.js';
import { startNginx, type RunningNginx } from '../helpers/nginx.js';
import { startNginxEdge, type NginxEdge } from '../../examples/nginx/edge.js';

const TOKEN = 'nginx-edge-secret-0123456789abcdef';
const EXAMPLE = readFileSync(fileURLToPath(new URL('../../examples/nginx/graylane.conf', import.meta.url)), 'utf8');

interface Answer { edge: string; explicit: boolean; trace: string | undefined; hops: HopRecord[]; headers: Record<string, string | undefined> }

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject).setTimeout(10_000, function (this: http.ClientRequest) {
      this.destroy(new Error('timeout'));
    });
  });
}

describe('graylane behind a real nginx (examples/nginx)', () => {
  const servers: RunningServer[] = [];
  let client: HopClient;
  let edge: NginxEdge;
  let nginx: RunningNginx;
  const edgeSaw: Array<Record<string, string | undefined>> = [];

  const ask = async (path: string, headers: Record<string, string> = {}): Promise<Answer> => {
    const r = await get(nginx.port, path, headers);
    expect(r.status, `${r.body}\n${nginx.output()}`).toBe(200);
    return JSON.parse(r.body) as Answer;
  };
  const lanes = (a: Answer): string[] => [a.edge, ...a.hops.map((h) => h.stage)];

  beforeAll(async () => {
    // grpc-js chain behind the edge: a → b, both internal hops (they trust their callers).
    const b = await startServer(hopImpl('b'), { interceptors: [grayServerInterceptor()] });
    const toB = hopClient(b.address, { interceptors: [grayClientInterceptor()] });
    const a = await startServer(hopImpl('a', { client: toB, mode: 'interceptor' }), { interceptors: [grayServerInterceptor()] });
    servers.push(b, a);
    client = hopClient(a.address, { interceptors: [grayClientInterceptor()] });
    edge = await startNginxEdge({
      token: TOKEN,
      port: 0,
      handle: (req, res) => {
        const headers = { token: req.headers['x-gray-edge-token'] as string | undefined, stage: req.headers['x-release-stage'] as string | undefined, alias: req.headers['x-canary-version'] as string | undefined, trace: req.headers['x-gray-trace'] as string | undefined };
        edgeSaw.push(headers);
        const ctx = getGrayContext();
        if (req.url?.startsWith('/healthz')) {
          res.end(JSON.stringify({ edge: ctx === undefined ? 'no-context' : ctx.stage, explicit: false, hops: [], headers }));
          return;
        }
        void unary(client, { id: req.url ?? '' }).then((reply) => {
          res.end(JSON.stringify({ edge: getReleaseStage(), explicit: ctx?.explicit ?? false, trace: ctx?.entries['x-gray-trace'], hops: reply.hops, headers }));
        }, (err: Error) => {
          res.statusCode = 500;
          res.end(err.message);
        });
      },
    });
    const conf = (port: number): string => {
      const text = EXAMPLE.replace('listen 127.0.0.1:8080;', `listen 127.0.0.1:${port};`).replace('server 127.0.0.1:3000;', `server 127.0.0.1:${edge.port};`);
      expect(text).toContain(`127.0.0.1:${port}`);
      expect(text).toContain(`127.0.0.1:${edge.port}`);
      return text;
    };
    nginx = await startNginx(conf, { 'graylane-secret.conf': `set $graylane_edge_token "${TOKEN}";\n` });
  }, 60_000);

  afterAll(async () => {
    await nginx?.close();
    await edge?.close();
    client?.close();
    for (const s of servers) await s.close();
  });

  it('no header → stable at every hop; `x-canary: always` → canary at every hop; `never` → stable', async () => {
    const ua = { 'user-agent': 'stable-client-1' }; // a client the 10 % weight puts on stable (checked below)
    const plain = await ask('/orders', ua);
    expect(lanes(plain).every((s) => s === 'stable')).toBe(true);
    expect(plain.hops.map((h) => h.service)).toEqual(expect.arrayContaining(['a', 'b']));
    const canary = await ask('/orders', { ...ua, 'x-canary': 'always' });
    expect(lanes(canary).every((s) => s === 'canary')).toBe(true);
    expect(canary.explicit).toBe(true);
    expect(canary.hops.length).toBeGreaterThanOrEqual(4);
    const never = await ask('/orders', { ...ua, 'x-canary': 'never', cookie: 'canary=always' });
    expect(lanes(never).every((s) => s === 'stable')).toBe(true);
  });

  it('by cookie, and by a sticky ~10 % weight', async () => {
    const cookie = await ask('/orders', { 'user-agent': 'stable-client-1', cookie: 'session=1; canary=always' });
    expect(lanes(cookie).every((s) => s === 'canary')).toBe(true);
    const stages: string[] = [];
    for (let i = 0; i < 200; i++) stages.push((await ask('/w', { 'user-agent': `client-${i}` })).edge);
    const share = stages.filter((s) => s === 'canary').length / stages.length;
    expect(share).toBeGreaterThan(0.02);
    expect(share).toBeLessThan(0.25);
    const first = stages.indexOf('canary');
    for (let i = 0; i < 3; i++) expect(lanes(await ask('/w', { 'user-agent': `client-${first}` })).every((s) => s === 'canary')).toBe(true);
  });

  it('a client forging the token, the stage, an alias or a control key is not trusted: nginx overwrites or clears them', async () => {
    edgeSaw.length = 0;
    const forged = await ask('/orders', {
      'user-agent': 'stable-client-1', 'x-gray-edge-token': 'forged', 'x-release-stage': 'canary', 'x-canary-version': 'canary', 'x-gray-trace': '1',
    });
    expect(lanes(forged).every((s) => s === 'stable')).toBe(true);
    expect(forged.trace).toBeUndefined();
    expect(forged.headers).toEqual({ token: TOKEN, stage: 'stable' }); // nginx's values only; alias and trace cleared
    // Even the real token, sent by a client, changes nothing: nginx's decision replaces the client's stage.
    const stolen = await ask('/orders', { 'user-agent': 'stable-client-1', 'x-gray-edge-token': TOKEN, 'x-release-stage': 'canary' });
    expect(lanes(stolen).every((s) => s === 'stable')).toBe(true);
  });

  it('the edge trusts only the token: reached directly, a forged token gets stable', async () => {
    const direct = JSON.parse((await get(edge.port, '/orders', { 'x-gray-edge-token': 'forged', 'x-release-stage': 'canary' })).body) as Answer;
    expect(lanes(direct).every((s) => s === 'stable')).toBe(true);
    expect(direct.explicit).toBe(false);
  });

  it('health checks pass through untouched: no context, no stage or token forwarded', async () => {
    const health = await ask('/healthz', { 'x-canary': 'always', 'x-release-stage': 'canary', 'x-gray-edge-token': TOKEN });
    expect(health.edge).toBe('no-context');
    expect(health.headers).toEqual({});
    const query = await ask('/healthz?probe=1', { 'x-canary': 'always' });
    expect(query.edge).toBe('no-context');
  });
});
