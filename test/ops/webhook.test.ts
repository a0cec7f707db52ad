/**
 * The Alertmanager webhook handler on a real node:http server, fed Alertmanager's documented
 * payload (version 4) — and attacked: no / wrong token, oversized and slow bodies, malformed and
 * prototype-named input, unconfigured services and stages, replays, registry failures.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GrayConfigError } from 'graylane';
import { alertmanagerRollbackHandler, type AlertmanagerRollbackOptions, type StageSwitch } from 'graylane/ops';
import { createStaticRegistry, type StaticGrayRegistry } from 'graylane/routing';

const TOKEN = 'webhook-secret-token-abcdef012345';
const T0 = Date.parse('2026-12-01T10:00:00Z');

interface Alert { status?: string; alertname?: string; service?: string; stage?: string; startsAt?: number; endsAt?: number; labels?: Record<string, unknown> }

/** Alertmanager's webhook body (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
function payload(alerts: Alert[]): Record<string, unknown> {
  const status = alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved';
  return {
    version: '4', groupKey: '{}:{alertname="GraylaneStageErrorRatio"}', truncatedAlerts: 0, status, receiver: 'graylane',
    groupLabels: { alertname: 'GraylaneStageErrorRatio' }, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://alertmanager:9093',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: a.labels ?? { alertname: a.alertname ?? 'GraylaneStageErrorRatio', graylane: 'rollback', graylane_service: a.service ?? 'orders', release_stage: a.stage ?? 'canary', severity: 'critical' },
      annotations: { summary: 'orders canary: error ratio 12% over 1m' },
      startsAt: new Date(a.startsAt ?? T0).toISOString(),
      endsAt: a.endsAt === undefined ? '0001-01-01T00:00:00Z' : new Date(a.endsAt).toISOString(),
      generatorURL: 'http://prometheus:9090/graph', fingerprint: 'c0ffee',
    })),
  };
}

interface Reply { status: number; body: string; headers: http.IncomingHttpHeaders }

function request(port: number, body: string | Buffer | undefined, headers: Record<string, string> = {}, method = 'POST'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/hooks/alertmanager', method, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers }, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('client timeout')));
    req.end(body);
  });
}

const post = (port: number, alerts: Alert[], headers?: Record<string, string>): Promise<Reply> => request(port, JSON.stringify(payload(alerts)), headers);

/** A registry wrapper counting writes and failing on demand. */
class CountingRegistry implements StageSwitch {
  writes: Array<[string, string, boolean]> = [];
  failures = 0;
  constructor(readonly inner: StaticGrayRegistry) {}
  async setStageDisabled(service: string, stage: string, disabled: boolean): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('etcd unreachable');
    }
    this.writes.push([service, stage, disabled]);
    await this.inner.setStageDisabled(service, stage, disabled);
  }
  getService(service: string) {
    return this.inner.getService(service);
  }
  disabled(service = 'orders'): readonly string[] {
    return this.inner.getService(service).rules.disabledStages;
  }
}

interface Harness { port: number; registry: CountingRegistry; logs: string[]; now: { t: number }; close(): Promise<void> }

async function start(options: Partial<AlertmanagerRollbackOptions> = {}): Promise<Harness> {
  const inner = createStaticRegistry([
    { service: 'orders', address: '127.0.0.1:1', stage: 'stable' },
    { service: 'orders', address: '127.0.0.1:2', stage: 'canary' },
    { service: 'pricing', address: '127.0.0.1:3', stage: 'canary' },
  ]);
  const registry = new CountingRegistry(inner);
  const logs: string[] = [];
  const now = { t: T0 + 60_000 };
  const log = (level: string) => (fields: object, message: string) => logs.push(`${level} ${message} ${JSON.stringify(fields)}`);
  const handler = alertmanagerRollbackHandler({
    registry, services: ['orders', 'pricing'], token: TOKEN, now: () => now.t,
    logger: { info: log('info'), warn: log('warn'), error: log('error') }, ...options,
  });
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port, registry, logs, now,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await inner.close();
    },
  };
}

describe('alertmanagerRollbackHandler: firing, resolved, idempotence, replays', () => {
  let h: Harness;
  beforeEach(async () => {
    await h?.close();
    h = await start({ resumeOnResolved: true });
  });
  afterAll(() => h?.close());

  it('a firing graylane alert disables the stage; repeats are idempotent (one registry write)', async () => {
    const r = await post(h.port, [{}]);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ ok: true, disabled: ['orders/canary'], resumed: [], ignored: 0 });
    expect(h.registry.disabled()).toEqual(['canary']);
    for (let i = 0; i < 3; i++) expect((await post(h.port, [{}])).status).toBe(200);
    const burst = await Promise.all(Array.from({ length: 30 }, () => post(h.port, [{}])));
    expect(burst.map((b) => b.status)).toEqual(Array(30).fill(200));
    expect(h.registry.writes).toEqual([['orders', 'canary', true]]);
  });

  it('resolved re-enables only when every alert of the stage resolved', async () => {
    await post(h.port, [{ alertname: 'GraylaneStageErrorRatio' }, { alertname: 'GraylaneStageLatencyP99' }]);
    expect(h.registry.disabled()).toEqual(['canary']);
    const one = await post(h.port, [{ alertname: 'GraylaneStageErrorRatio', status: 'resolved', endsAt: T0 + 30_000 }]);
    expect(JSON.parse(one.body)).toMatchObject({ ok: true, resumed: [] });
    expect(h.registry.disabled()).toEqual(['canary']);
    const both = await post(h.port, [{ alertname: 'GraylaneStageLatencyP99', status: 'resolved', endsAt: T0 + 40_000 }]);
    expect(JSON.parse(both.body)).toMatchObject({ ok: true, resumed: ['orders/canary'] });
    expect(h.registry.disabled()).toEqual([]);
  });

  it('replays older than the applied state are ignored: a firing from before the resolve, a resolve from before the next firing', async () => {
    await post(h.port, [{ startsAt: T0 }]);
    await post(h.port, [{ status: 'resolved', startsAt: T0, endsAt: T0 + 30_000 }]);
    expect(h.registry.disabled()).toEqual([]);
    const replayedFiring = await post(h.port, [{ startsAt: T0 }]);
    expect(JSON.parse(replayedFiring.body)).toEqual({ ok: true, disabled: [], resumed: [], ignored: 1 });
    expect(h.registry.disabled()).toEqual([]);
    await post(h.port, [{ startsAt: T0 + 50_000 }]);
    expect(h.registry.disabled()).toEqual(['canary']);
    const replayedResolve = await post(h.port, [{ status: 'resolved', startsAt: T0, endsAt: T0 + 30_000 }]);
    expect(JSON.parse(replayedResolve.body)).toMatchObject({ ok: true, resumed: [], ignored: 1 });
    expect(h.registry.disabled()).toEqual(['canary']);
  });

  it('a resolved alert older than maxResolvedAgeMs (default 10 min) is a replay', async () => {
    await post(h.port, [{ startsAt: T0 }]);
    h.now.t = T0 + 30_000 + 600_001;
    const old = await post(h.port, [{ status: 'resolved', startsAt: T0, endsAt: T0 + 30_000 }]);
    expect(JSON.parse(old.body)).toMatchObject({ resumed: [], ignored: 1 });
    expect(h.registry.disabled()).toEqual(['canary']);
  });

  it('never resumes a stage it did not disable (e.g. the in-process guard did)', async () => {
    await h.registry.inner.setStageDisabled('orders', 'canary', true);
    await post(h.port, [{ status: 'resolved', startsAt: T0, endsAt: T0 + 30_000 }]);
    expect(h.registry.disabled()).toEqual(['canary']);
  });

  it('alerts with other names are ignored; other services are untouched', async () => {
    const r = await post(h.port, [{ alertname: 'HighMemory' }, { alertname: 'Watchdog', labels: { alertname: 'Watchdog' } }]);
    expect(JSON.parse(r.body)).toEqual({ ok: true, disabled: [], resumed: [], ignored: 2 });
    expect(h.registry.writes).toEqual([]);
    await post(h.port, [{ service: 'pricing' }]);
    expect(h.registry.disabled('pricing')).toEqual(['canary']);
    expect(h.registry.disabled('orders')).toEqual([]);
  });

  it('a registry failure answers 503 (Alertmanager retries); the retry succeeds', async () => {
    h.registry.failures = 1;
    const failed = await post(h.port, [{}]);
    expect(failed.status).toBe(503);
    expect(h.registry.disabled()).toEqual([]);
    expect(h.logs.some((l) => l.startsWith('error') && l.includes('etcd unreachable'))).toBe(true);
    const retried = await post(h.port, [{}]);
    expect(retried.status).toBe(200);
    expect(h.registry.disabled()).toEqual(['canary']);
  });
});

describe('alertmanagerRollbackHandler: resolved without resumeOnResolved', () => {
  it('stays disabled (the default)', async () => {
    const h = await start();
    try {
      await post(h.port, [{}]);
      const r = await post(h.port, [{ status: 'resolved', endsAt: T0 + 30_000 }]);
      expect(JSON.parse(r.body)).toMatchObject({ ok: true, resumed: [] });
      expect(h.registry.disabled()).toEqual(['canary']);
    } finally {
      await h.close();
    }
  });
});

describe('alertmanagerRollbackHandler against a hostile client', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ maxBodyBytes: 4096, bodyTimeoutMs: 300, maxAlerts: 3 });
  });
  afterAll(() => h.close());

  const firing = JSON.stringify(payload([{}]));

  it('refuses a missing, wrong, partial, padded or non-Bearer token (401) without touching the registry', async () => {
    const cases: Array<Record<string, string>> = [
      { authorization: '' }, { authorization: 'Bearer wrong-token-wrong-token-xx' }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN}x` }, { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
      { authorization: `Bearer  ${TOKEN}` }, { authorization: TOKEN }, { 'x-token': TOKEN, authorization: '' },
    ];
    for (const headers of cases) {
      const r = await request(h.port, firing, headers);
      expect(r.status, JSON.stringify(headers)).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer');
    }
    expect(h.registry.writes).toEqual([]);
  });

  it('never logs the token, sent or configured', async () => {
    await request(h.port, firing, { authorization: 'Bearer wrong-token-wrong-token-xx' });
    await request(h.port, 'not json');
    const all = h.logs.join('\n');
    expect(h.logs.length).toBeGreaterThan(0);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('wrong-token');
  });

  it('refuses other methods (405) and content types (415)', async () => {
    expect((await request(h.port, undefined, {}, 'GET')).status).toBe(405);
    expect((await request(h.port, firing, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await request(h.port, firing, { 'content-type': 'application/jsonx' })).status).toBe(415);
  });

  it('refuses an oversized body, declared or streamed (413), and a slow one (408)', async () => {
    const big = JSON.stringify(payload(Array.from({ length: 40 }, () => ({}))));
    expect(big.length).toBeGreaterThan(4096);
    expect((await request(h.port, big)).status).toBe(413);
    expect((await request(h.port, big, { 'transfer-encoding': 'chunked' })).status).toBe(413);
    // Slow loris: headers, then nothing.
    const slow = await new Promise<string>((resolve) => {
      const socket = net.connect(h.port, '127.0.0.1', () => {
        socket.write(`POST /hooks/alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\n{`);
      });
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    expect(slow).toMatch(/^HTTP\/1\.1 408/);
    expect(h.registry.writes).toEqual([]);
  });

  it('refuses malformed payloads with 400 (strict schema)', async () => {
    const base = payload([{}]);
    const alert = (base['alerts'] as Array<Record<string, unknown>>)[0]!;
    const bodies: Array<string | Buffer> = [
      'not json', '[]', 'null', '"x"', JSON.stringify({ ...base, version: '3' }), JSON.stringify({ ...base, version: 4 }),
      JSON.stringify({ ...base, alerts: {} }), JSON.stringify({ ...base, status: 'weird' }),
      JSON.stringify({ ...base, alerts: [{ ...alert, status: 'pending' }] }),
      JSON.stringify({ ...base, alerts: [{ ...alert, labels: { alertname: 'GraylaneStageErrorRatio', graylane_service: 1 } }] }),
      JSON.stringify({ ...base, alerts: [{ ...alert, labels: [] }] }),
      JSON.stringify({ ...base, alerts: [{ ...alert, startsAt: 'yesterday' }] }),
      JSON.stringify({ ...base, alerts: [{ ...alert, status: 'resolved' }] }), // resolved without endsAt
      JSON.stringify({ ...base, alerts: Array(4).fill(alert) }),
      JSON.stringify({ ...base, alerts: [null] }),
      '['.repeat(2000) + ']'.repeat(2000),
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), // not UTF-8
    ];
    for (const body of bodies) {
      const r = await request(h.port, body);
      expect(r.status, String(body).slice(0, 80)).toBe(400);
      expect(JSON.parse(r.body).ok).toBe(false);
    }
    expect(h.registry.writes).toEqual([]);
  });

  it('prototype-named keys and values are inert: __proto__ labels, __proto__ / constructor services (422)', async () => {
    const protoLabels = firing.replace('"labels":{', '"labels":{"__proto__":{"graylane_service":"orders"},');
    expect((await request(h.port, protoLabels)).status).toBe(400); // a label value that is not a string
    const protoTop = `{"__proto__":{"version":"4"},${firing.slice(1)}`;
    expect((await request(h.port, protoTop)).status).toBe(200); // an inert key beside the real fields
    await h.registry.inner.setStageDisabled('orders', 'canary', false);
    h.registry.writes = [];
    for (const service of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const r = await post(h.port, [{ service }]);
      expect(r.status, service).toBe(422);
    }
    expect((await post(h.port, [{ alertname: '__proto__' }])).status).toBe(200);
    expect(({} as Record<string, unknown>)['graylane_service']).toBeUndefined();
    expect(h.registry.writes).toEqual([]);
  });

  it('refuses alerts naming services or stages not configured (422) and applies nothing of that payload', async () => {
    const cases: Alert[] = [{ service: 'payments' }, { stage: 'stable' }, { stage: 'CANARY' }, { stage: 'canary, beta' }, { service: 'orders canary' }, { labels: { alertname: 'GraylaneStageErrorRatio' } }];
    for (const bad of cases) {
      const r = await post(h.port, [{ service: 'pricing' }, bad]);
      expect(r.status, JSON.stringify(bad)).toBe(422);
    }
    expect(h.registry.disabled('pricing')).toEqual([]);
    expect(h.registry.writes).toEqual([]);
  });

  it('keeps serving after all of the above', async () => {
    const r = await post(h.port, [{ service: 'pricing', startsAt: T0 + 1 }]);
    expect(r.status).toBe(200);
    expect(h.registry.disabled('pricing')).toEqual(['canary']);
  });
});

describe('alertmanagerRollbackHandler: mounted elsewhere', () => {
  it('works as an Express route behind express.json(), and through handle() with a raw body', async () => {
    const registry = createStaticRegistry([{ service: 'orders', address: '127.0.0.1:1', stage: 'canary' }]);
    const handler = alertmanagerRollbackHandler({ registry, services: ['orders'], token: TOKEN });
    const app = express();
    app.post('/hooks/alertmanager', express.json(), handler);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const port = (server.address() as AddressInfo).port;
      expect((await post(port, [{}], { authorization: 'Bearer nope-nope-nope-nope' })).status).toBe(401);
      expect((await post(port, [{}])).status).toBe(200);
      expect(registry.getService('orders').rules.disabledStages).toEqual(['canary']);
      await registry.setStageDisabled('orders', 'canary', false);
      const direct = await handler.handle(Buffer.from(JSON.stringify(payload([{ startsAt: T0 + 5 }]))), `Bearer ${TOKEN}`);
      expect(direct).toEqual({ status: 200, body: { ok: true, disabled: ['orders/canary'], resumed: [], ignored: 0 } });
      expect((await handler.handle('{}', undefined)).status).toBe(401);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await registry.close();
    }
  });
});

describe('alertmanagerRollbackHandler: configuration', () => {
  const registry = createStaticRegistry([]);
  afterAll(() => registry.close());
  it.each([
    ['no registry', { services: ['orders'], token: TOKEN }],
    ['no services', { registry, services: [], token: TOKEN }],
    ['a bad service name', { registry, services: ['__proto__'], token: TOKEN }],
    ['a bad stage', { registry, services: ['orders'], stages: ['Canary!'], token: TOKEN }],
    ['a short token', { registry, services: ['orders'], token: 'short' }],
    ['a token with spaces', { registry, services: ['orders'], token: 'a token with spaces inside' }],
    ['no token', { registry, services: ['orders'] }],
    ['a bad size cap', { registry, services: ['orders'], token: TOKEN, maxBodyBytes: 0 }],
  ])('throws GrayConfigError for %s', (_name, options) => {
    expect(() => alertmanagerRollbackHandler(options as unknown as AlertmanagerRollbackOptions)).toThrow(GrayConfigError);
  });
});
