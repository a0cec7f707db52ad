/**
 * The dashboard server's boundaries, over real HTTP: loopback only, Host checked, POSTs only from the
 * page (custom header, same origin, JSON), actions only with the token (read-only without one), the
 * registry changed once per action, bounded event streams, and bad metrics endpoints (unreachable,
 * too slow, too large) shown as such without harm.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileRegistry, type FileGrayRegistry } from 'graylane/routing';
import { startDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { PAGE_HEADERS, request } from './http.js';

const TOKEN = 'server-test-token-0123456789';
let dir: string;
let registry: FileGrayRegistry;
let board: Dashboard;
let readOnly: Dashboard;
let bad: http.Server;

const page = PAGE_HEADERS;
const disable = JSON.stringify({ service: 'shop.Pricing', stage: 'canary', disabled: true });
const disabledStages = (): readonly string[] => registry.getService('shop.Pricing').rules.disabledStages;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'graylane-dashboard-server-'));
  const path = join(dir, 'registry.json');
  writeFileSync(path, JSON.stringify({ instances: [
    { service: 'shop.Pricing', address: '127.0.0.1:1', stage: 'stable' }, { service: 'shop.Pricing', address: '127.0.0.1:2', stage: 'canary' },
  ] }));
  registry = createFileRegistry(path);
  bad = http.createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('m 1\n'), 5000).unref();
    res.end(`m 1\n${'#'.repeat(200_000)}\n`);
  });
  await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
  const badUrl = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`;
  board = await startDashboard({
    registry, port: 0, token: TOKEN, maxClients: 2, intervalMs: 100, scrape: { timeoutMs: 300, maxBytes: 100_000 },
    metrics: [{ url: 'http://127.0.0.1:9/metrics' }, { url: `${badUrl}/slow` }, { url: `${badUrl}/big` }],
  });
  readOnly = await startDashboard({ registry, port: 0 });
});

afterAll(async () => {
  await board?.close();
  await readOnly?.close();
  await new Promise<void>((r) => (bad ? bad.close(() => r()) : r()));
  bad?.closeAllConnections();
  await registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard server', () => {
  it('shows the services the registry lists, with no service given and no metrics naming one', async () => {
    expect(board.state().services.map((s) => s.name)).toContain('shop.Pricing');
    expect(readOnly.state().services.map((s) => s.name)).toContain('shop.Pricing');
  });

  it('a registry whose listServices throws is shown without its list, and the server keeps serving', async () => {
    const broken = Object.create(registry) as FileGrayRegistry;
    (broken as { listServices: () => string[] }).listServices = () => { throw new Error('boom'); };
    const other = await startDashboard({ registry: broken, port: 0, services: ['shop.Given'] });
    try {
      expect(other.state().services.map((s) => s.name)).toEqual(['shop.Given']);
      expect((await request(other.port, 'GET', '/')).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('listens on 127.0.0.1 only', async () => {
    expect(board.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const other = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (other) {
      const error = await new Promise<string>((resolve) => {
        const s = net.connect(board.port, other.address, () => {
          s.destroy();
          resolve('connected');
        });
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(error).toBe('ECONNREFUSED');
    }
  });

  it('answers only requests naming it by its loopback Host (no DNS rebinding)', async () => {
    expect((await request(board.port, 'GET', '/')).status).toBe(200);
    expect((await request(board.port, 'GET', '/', { host: `localhost:${board.port}` })).status).toBe(200);
    expect((await request(board.port, 'GET', '/state.json', { host: `evil.example:${board.port}` })).status).toBe(421);
  });

  it('serves the page with a strict content security policy', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve) => http.get(board.url, resolve));
    res.resume();
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('refuses actions from outside the page, without the token, and on a read-only dashboard; changes the registry once with it', async () => {
    expect((await request(board.port, 'POST', '/api/stage', { 'content-type': 'application/json', 'x-graylane-token': TOKEN }, disable)).status).toBe(403);
    expect((await request(board.port, 'POST', '/api/stage', { ...page, origin: 'http://evil.example', 'x-graylane-token': TOKEN }, disable)).status).toBe(403);
    expect((await request(board.port, 'POST', '/api/stage', { ...page, 'content-type': 'text/plain', 'x-graylane-token': TOKEN }, disable)).status).toBe(403);
    expect((await request(board.port, 'POST', '/api/stage', page, disable)).status).toBe(401);
    expect((await request(board.port, 'POST', '/api/stage', { ...page, 'x-graylane-token': `${TOKEN}x` }, disable)).status).toBe(401);
    expect((await request(readOnly.port, 'POST', '/api/stage', { ...page, 'x-graylane-token': TOKEN }, disable)).body).toContain('read-only');
    expect(disabledStages()).toEqual([]);
    const ok = await request(board.port, 'POST', '/api/stage', { ...page, origin: `http://127.0.0.1:${board.port}`, 'x-graylane-token': TOKEN }, disable);
    expect(ok.status).toBe(200);
    expect(disabledStages()).toEqual(['canary']);
    // The default stage cannot be disabled; a bad body is refused.
    expect((await request(board.port, 'POST', '/api/stage', { ...page, 'x-graylane-token': TOKEN }, JSON.stringify({ service: 'shop.Pricing', stage: 'stable', disabled: true }))).status).toBe(400);
    expect((await request(board.port, 'POST', '/api/stage', { ...page, 'x-graylane-token': TOKEN }, '{"__proto__":{"x":1}}')).status).toBe(400);
    const resume = await request(board.port, 'POST', '/api/stage', { ...page, 'x-graylane-token': TOKEN }, JSON.stringify({ service: 'shop.Pricing', stage: 'canary', disabled: false }));
    expect(resume.status).toBe(200);
    expect(disabledStages()).toEqual([]);
  });

  it('bounds the live pages', async () => {
    const open = (): Promise<http.IncomingMessage> => new Promise((resolve) => http.get(`${board.url}events`, resolve));
    const a = await open();
    const b = await open();
    const c = await open();
    expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([200, 200, 503]);
    c.resume();
    a.destroy();
    b.destroy();
  });

  it('shows unreachable, slow and oversized metrics endpoints as such and keeps serving', async () => {
    await expect.poll(() => board.state().sources.map((s) => `${s.status}:${s.error ?? ''}`), { timeout: 5000 })
      .toEqual([expect.stringMatching(/^error:.+/), 'error:timed out', 'error:response larger than 100000 bytes']);
    expect((await request(board.port, 'GET', '/state.json')).status).toBe(200);
  });
});
