/**
 * End to end with the real programs: a real Prometheus scrapes two grpc-js instances (stable,
 * canary) recording graylane/observe's per-stage metrics, evaluates the rules graylane/ops
 * generated, and a real Alertmanager posts the firing alert to the webhook handler, which disables
 * the canary in the registry; routing falls back to stable. When the alert resolves, the stage
 * comes back (resumeOnResolved).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import { grayServerMetricsInterceptor } from 'graylane/observe/grpc-js';
import { grayHttpMetricsMiddleware } from 'graylane/observe/http';
import { grayHttpMiddleware } from 'graylane/http';
import { alertmanagerRollbackHandler, prometheusRules, rulesToYaml, type WebhookRollbackEvent } from 'graylane/ops';
import { createStaticRegistry, registerGrayRouting, type GrayRouting, type StaticGrayRegistry } from 'graylane/routing';
import { hopClient, type HopClient } from '../helpers/grpc.js';
import { promtoolCheckRules, startAlertmanager, startPrometheus, type RunningAlertmanager, type RunningPrometheus } from '../helpers/prometheus.js';
import { stageMetadata, startHop, stopHops, unaryWithStatus, type ChainHop } from '../observe/chain.js';

const TOKEN = 'alertmanager-test-token-0123456789';

async function serveMetrics(registry: Registry): Promise<http.Server> {
  const server = http.createServer((_req, res) => {
    void registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

const address = (server: http.Server): string => `127.0.0.1:${(server.address() as AddressInfo).port}`;

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, maxMs: number, explain: () => string): Promise<T> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}\n${explain()}`);
}

describe('Prometheus rules + Alertmanager webhook → rollback (real Prometheus and Alertmanager)', () => {
  const hops: ChainHop[] = [];
  const metricServers: http.Server[] = [];
  let failing = false;
  let registry: StaticGrayRegistry;
  let routing: GrayRouting;
  let client: HopClient;
  let webhook: http.Server;
  let alertmanager: RunningAlertmanager | undefined;
  let prometheus: RunningPrometheus | undefined;
  let traffic: Promise<void> | undefined;
  let running = true;
  const actions: WebhookRollbackEvent[] = [];
  const webhookStatuses: number[] = [];

  let web: http.Server;
  const rules = rulesToYaml(prometheusRules({ services: ['hop', { name: 'web', source: 'http' }], window: '5s', for: '0s', interval: '1s', minRequests: 5 }));

  beforeAll(async () => {
    for (const [name, fail] of [['stable-1', () => undefined], ['canary-1', () => (failing ? grpc.status.INTERNAL : undefined)]] as const) {
      const metrics = new Registry();
      hops.push(await startHop({ name, serverInterceptors: [grayServerInterceptor(), grayServerMetricsInterceptor({ registry: metrics })], fail }));
      metricServers.push(await serveMetrics(metrics));
    }
    // An HTTP service (internal hop: trusts the stage header) with graylane's HTTP metrics, scraped as job `web`.
    const webMetrics = new Registry();
    const edge = grayHttpMiddleware({ trustIncoming: true });
    const count = grayHttpMetricsMiddleware({ registry: webMetrics });
    web = http.createServer((req, res) => edge(req, res, () => count(req, res, () => res.end('ok'))));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    metricServers.push(await serveMetrics(webMetrics));
    registry = createStaticRegistry([
      { service: 'hop', address: hops[0]!.server.address, stage: 'stable' },
      { service: 'hop', address: hops[1]!.server.address, stage: 'canary' },
    ]);
    routing = registerGrayRouting({ registry, scheme: 'opsprom' });
    client = hopClient(routing.target('hop'), { interceptors: [grayClientInterceptor()] });

    const handler = alertmanagerRollbackHandler({ registry, services: ['hop'], token: TOKEN, resumeOnResolved: true, onAction: (e) => actions.push(e) });
    webhook = http.createServer((req, res) => {
      res.once('finish', () => webhookStatuses.push(res.statusCode));
      handler(req, res);
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    alertmanager = await startAlertmanager(`http://${address(webhook)}/hooks/alertmanager`, TOKEN);
    prometheus = await startPrometheus({ jobs: { hop: metricServers.slice(0, 2).map(address), web: [address(metricServers[2]!)] }, rules, alertmanager: alertmanager.address });

    // Steady traffic on both stages, a call every ~10 ms each.
    traffic = (async () => {
      let i = 0;
      while (running) {
        await Promise.all([
          ...['stable', 'canary'].map((stage) => unaryWithStatus(client, { id: `t${i++}` }, stageMetadata(stage))),
          fetch(`http://${address(web)}/`, { headers: { 'x-release-stage': 'canary' } }).then((r) => r.text()),
        ]);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
  }, 90_000);

  afterAll(async () => {
    running = false;
    await traffic;
    client?.close();
    routing?.close();
    await registry?.close();
    await prometheus?.close();
    await alertmanager?.close();
    await new Promise<void>((r) => (webhook ? webhook.close(() => r()) : r()));
    await new Promise<void>((r) => (web ? web.close(() => r()) : r()));
    for (const s of metricServers) await new Promise<void>((r) => s.close(() => r()));
    await stopHops(hops);
  });

  it('promtool accepts the generated rules', () => {
    const check = promtoolCheckRules(rules);
    expect(check.output).toContain('SUCCESS: 10 rules found');
    expect(check.status).toBe(0);
  });

  it('records the canary ratio from the real metrics, fires on injected errors, disables the canary, falls back, and resumes on resolve', async () => {
    const p = prometheus!;
    const explain = (): string => `prometheus:\n${p.output()}\nalertmanager:\n${alertmanager!.output()}\nwebhook statuses: ${webhookStatuses.join(',')}`;
    // The recording rules read graylane's real metric names: the canary's ratio is recorded as 0 while it is healthy.
    const healthy = await waitFor('a recorded canary error ratio', async () => {
      const r = await p.query('graylane_service_stage:errors:ratio_rate5s{graylane_service="hop",release_stage="canary"}');
      return r.length === 1 ? r[0] : undefined;
    }, 20_000, explain);
    expect(Number(healthy.value[1])).toBe(0);
    const requests = await p.query('graylane_service_stage:requests:increase5s{graylane_service="hop",release_stage="canary"}');
    expect(Number(requests[0]?.value[1])).toBeGreaterThanOrEqual(5);
    // Only the configured stage is checked: no stable series are recorded.
    expect(await p.query('graylane_service_stage:requests:increase5s{release_stage="stable"}')).toEqual([]);
    // The HTTP service's series are read too (http_requests_total, http_request_duration_seconds).
    const webRatio = await waitFor('a recorded web ratio', async () => {
      const r = await p.query('graylane_service_stage:errors:ratio_rate5s{graylane_service="web",release_stage="canary"}');
      return r.length === 1 ? r : undefined;
    }, 20_000, explain);
    expect(webRatio.map((r) => Number(r.value[1]))).toEqual([0]);
    const webP99 = await p.query('graylane_service_stage:latency_seconds:p99_rate5s{graylane_service="web",release_stage="canary"}');
    expect(Number(webP99[0]?.value[1])).toBeGreaterThan(0);
    expect((await p.alerts()).filter((a) => a.labels['alertname'] === 'GraylaneStageErrorRatio')).toEqual([]);
    expect((await unaryWithStatus(client, { id: 'c0' }, stageMetadata('canary'))).reply?.hops[0]?.instance).toBe('canary-1');

    failing = true;
    const firing = await waitFor('the error-ratio alert to fire', async () =>
      (await p.alerts()).find((a) => a.labels['alertname'] === 'GraylaneStageErrorRatio' && a.state === 'firing'), 20_000, explain);
    expect(firing.labels).toMatchObject({ graylane_service: 'hop', release_stage: 'canary', graylane: 'rollback' });

    // Alertmanager → webhook → registry.
    await waitFor('the webhook to disable the canary', async () => (registry.getService('hop').rules.disabledStages.includes('canary') ? true : undefined), 20_000, explain);
    expect(actions[0]).toMatchObject({ service: 'hop', stage: 'canary', action: 'disable', alerts: ['GraylaneStageErrorRatio'] });
    expect(webhookStatuses.every((s) => s === 200)).toBe(true);

    // Routing falls back: canary calls are served by stable (still failing canary is never reached).
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => unaryWithStatus(client, { id: `f${i}` }, stageMetadata('canary'))));
    expect(after.map((r) => r.reply?.hops[0]?.instance)).toEqual(Array(20).fill('stable-1'));

    // No canary traffic → the alert resolves → Alertmanager sends `resolved` → the stage is resumed.
    failing = false;
    await waitFor('the canary to be resumed after the alert resolved', async () => (actions.some((a) => a.action === 'resume') ? true : undefined), 40_000, explain);
    expect(registry.getService('hop').rules.disabledStages).toEqual([]);
    expect((await unaryWithStatus(client, { id: 'c1' }, stageMetadata('canary'))).reply?.hops[0]?.instance).toBe('canary-1');
  }, 100_000);
});
