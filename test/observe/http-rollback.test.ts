/**
 * rollbackGuardHttpMiddleware on a real node:http edge behind grayHttpMiddleware: 5xx responses of
 * canary requests trip the guard, which disables the stage in a real (static) registry; requests of
 * other stages, and canary claims the edge did not trust, are not recorded.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError } from '../../src/index.js';
import { grayHttpMiddleware } from '../../src/http/index.js';
import { createRollbackGuard, type RollbackTripEvent } from 'graylane/observe';
import { rollbackGuardHttpMiddleware } from 'graylane/observe/http';
import { createStaticRegistry } from '../../src/routing/index.js';

describe('rollbackGuardHttpMiddleware', () => {
  const registry = createStaticRegistry([{ service: 'web', address: '127.0.0.1:1', stage: 'canary' }]);
  const guard = createRollbackGuard({ registry, service: 'web', minSamples: 10 });
  const trips: RollbackTripEvent[] = [];
  guard.on('trip', (e: RollbackTripEvent) => trips.push(e));
  let failCanary = false;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const edge = grayHttpMiddleware({ trust: { tokenHeader: 'x-gray-token', tokens: ['qa'] } });
    const feed = rollbackGuardHttpMiddleware(guard);
    server = createServer((req, res) =>
      edge(req, res, () =>
        feed(req, res, () => {
          const canary = req.headers['x-release-stage'] === 'canary';
          res.statusCode = canary && failCanary ? 503 : 200;
          res.end('ok');
        })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await registry.close();
  });

  const get = async (headers: Record<string, string>): Promise<number> => {
    const res = await fetch(base, { headers });
    await res.text();
    return res.status;
  };
  const canary = { 'x-release-stage': 'canary', 'x-gray-token': 'qa' };

  it('does not record other stages or untrusted canary claims', async () => {
    failCanary = true;
    // Untrusted: the edge resolves these to stable, so their 503s never reach the canary's window.
    for (let i = 0; i < 30; i++) expect(await get({ 'x-release-stage': 'canary' })).toBe(503);
    for (let i = 0; i < 30; i++) expect(await get({})).toBe(200);
    expect(guard.state).toBe('watching');
    failCanary = false;
  });

  it('trips on 5xx of trusted canary requests and disables the stage in the registry', async () => {
    for (let i = 0; i < 20; i++) expect(await get(canary)).toBe(200);
    expect(guard.state).toBe('watching');
    failCanary = true;
    expect(await get(canary)).toBe(503);
    expect(guard.state).toBe('tripped');
    expect(trips).toHaveLength(1);
    expect(trips[0]).toMatchObject({ service: 'web', stage: 'canary', reason: 'error-rate', samples: 21, errors: 1 });
    await new Promise<void>((r) => (guard.stageDisabled ? r() : guard.once('disabled', () => r())));
    expect(registry.getService('web').rules.disabledStages).toEqual(['canary']);
    await guard.resume();
    expect(registry.getService('web').rules.disabledStages).toEqual([]);
  });

  it('rejects a non-guard and a non-function isFailure', () => {
    expect(() => rollbackGuardHttpMiddleware({} as never)).toThrow(GrayConfigError);
    expect(() => rollbackGuardHttpMiddleware(guard, { isFailure: 'yes' as never })).toThrow(/isFailure/);
  });
});

describe('rollbackGuardHttpMiddleware latency', () => {
  it('a client that reads its response slowly does not count as a slow canary; a slow handler does', async () => {
    const registry = createStaticRegistry([{ service: 'web', address: '127.0.0.1:1', stage: 'canary' }]);
    const guard = createRollbackGuard({ registry, service: 'web', minSamples: 1, maxP99Ms: 1000 });
    const trips: RollbackTripEvent[] = [];
    guard.on('trip', (e: RollbackTripEvent) => trips.push(e));
    const body = Buffer.alloc(32 * 1024 * 1024, 'x'); // far more than the socket buffers hold
    const edge = grayHttpMiddleware({ trustIncoming: true });
    const feed = rollbackGuardHttpMiddleware(guard);
    const server = createServer((req, res) => edge(req, res, () => feed(req, res, () => {
      if (req.url === '/slow') setTimeout(() => res.end('late'), 1500);
      else res.end(body);
    })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      // A raw client that stops reading for 2.5 s: the response cannot finish before it reads on.
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write('GET / HTTP/1.1\r\nhost: x\r\nx-release-stage: canary\r\nconnection: close\r\n\r\n');
          socket.pause();
          setTimeout(() => socket.resume(), 2500);
        });
        socket.on('data', () => {});
        socket.on('end', resolve);
        socket.on('error', reject);
      });
      expect(guard.state).toBe('watching');
      // Control: a handler that takes 1.5 s trips the p99 limit, and the slow reader was one sample.
      await (await fetch(`http://127.0.0.1:${port}/slow`, { headers: { 'x-release-stage': 'canary' } })).text();
      expect(guard.state).toBe('tripped');
      expect(trips[0]).toMatchObject({ reason: 'p99-latency', samples: 2 });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      await registry.close();
    }
  });
});
