/**
 * The generated rules: the guard's limits by default, the stage bound in every selector, valid for
 * Prometheus's own `promtool check rules` (library, manifest, and the `graylane rules prometheus` CLI).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { GrayConfigError } from 'graylane';
import { createRollbackGuard } from 'graylane/observe';
import { createStaticRegistry } from 'graylane/routing';
import {
  prometheusRuleManifest, prometheusRules, rulesToYaml, ERROR_RATIO_ALERT, LATENCY_P99_ALERT,
  type PrometheusAlertingRule, type PrometheusRecordingRule, type PrometheusRulesOptions,
} from 'graylane/ops';
import { promtoolCheckRules } from '../helpers/prometheus.js';

const run = promisify(execFile);
const alerts = (o: PrometheusRulesOptions): PrometheusAlertingRule[] => prometheusRules(o).groups[0]!.rules.filter((r): r is PrometheusAlertingRule => 'alert' in r);
const records = (o: PrometheusRulesOptions): PrometheusRecordingRule[] => prometheusRules(o).groups[0]!.rules.filter((r): r is PrometheusRecordingRule => 'record' in r);

describe('prometheusRules', () => {
  it("defaults to the rollback guard's limits: 0.5 % errors, 2 s p99, 20 requests", () => {
    const registry = createStaticRegistry([]);
    const guard = createRollbackGuard({ registry, service: 'orders' });
    const [errors, latency] = alerts({ services: ['orders'] });
    expect(guard.stage).toBe('canary');
    expect(errors!.alert).toBe(ERROR_RATIO_ALERT);
    expect(errors!.expr).toMatch(/\{graylane_service="orders",release_stage="canary"\} > 0\.005\n/);
    expect(latency!.alert).toBe(LATENCY_P99_ALERT);
    expect(latency!.expr).toMatch(/\{graylane_service="orders",release_stage="canary"\} > 2\n/);
    for (const a of [errors!, latency!]) {
      expect(a.expr).toMatch(/>= 20$/);
      expect(a.for).toBe('1m');
      expect(a.labels).toEqual({ severity: 'critical', graylane: 'rollback', graylane_service: 'orders', release_stage: 'canary' });
    }
    void registry.close();
  });

  it('binds the stage in every selector and reads graylane/observe metric names (gRPC and HTTP)', () => {
    const rs = records({ services: ['orders', { name: 'web', source: 'http', match: { job: 'edge', namespace: 'shop' } }], stages: ['canary', 'blue'] });
    expect(rs).toHaveLength(12);
    for (const r of rs) {
      const stage = r.labels['release_stage']!;
      const selectors = r.expr.match(/\{[^}]*\}/g)!;
      expect(selectors.length).toBeGreaterThan(0);
      for (const s of selectors) expect(s).toContain(`release_stage="${stage}"`);
    }
    const grpc = rs.filter((r) => r.labels['graylane_service'] === 'orders').map((r) => r.expr).join('\n');
    expect(grpc).toContain('grpc_server_handled_total{job="orders",release_stage="canary",grpc_code!~"OK|CANCELLED"}');
    expect(grpc).toContain('grpc_server_handling_seconds_bucket{job="orders",release_stage="canary"}');
    const http = rs.filter((r) => r.labels['graylane_service'] === 'web').map((r) => r.expr).join('\n');
    expect(http).toContain('http_requests_total{job="edge",namespace="shop",release_stage="blue",code=~"5.."}');
    expect(http).toContain('http_request_duration_seconds_bucket{job="edge",namespace="shop",release_stage="blue"}');
  });

  it('per-service limits, test overrides and extra alert labels', () => {
    const [errors, latency] = alerts({ services: [{ name: 'orders', maxErrorRate: 0.0001, maxP99Ms: 250 }], for: '0s', window: '30s', minRequests: 3, alertLabels: { team: 'shop' } });
    expect(errors!.expr).toContain('graylane_service_stage:errors:ratio_rate30s{graylane_service="orders",release_stage="canary"} > 0.0001');
    expect(latency!.expr).toContain('> 0.25');
    expect(errors!.for).toBe('0s');
    expect(errors!.labels['team']).toBe('shop');
  });

  it('passes promtool, hostile label values included (escaped, never PromQL)', () => {
    const yaml = rulesToYaml(prometheusRules({
      services: ['orders', { name: 'web', source: 'http', match: { job: 'a"b\\c\n}{x="y"', instance: 'é' } }],
      stages: ['canary', 'v2'], alertLabels: { severity: 'page', note: 'it\'s: "quoted" # not a comment' } as Record<string, string>,
    }));
    const check = promtoolCheckRules(yaml);
    expect(check.output).toContain('SUCCESS: 20 rules found');
    expect(check.status).toBe(0);
    // The YAML reads back as the same object.
    const again = parse(yaml) as { groups: Array<{ rules: Array<{ expr: string }> }> };
    expect(again.groups[0]!.rules.some((r) => r.expr.includes('job="a\\"b\\\\c\\n}{x=\\"y\\""'))).toBe(true);
  });

  it('promtool fails on a broken rule (the check can fail)', () => {
    const check = promtoolCheckRules('groups:\n- name: x\n  rules:\n  - alert: X\n    expr: "sum by (release_stage) ("\n');
    expect(check.status).not.toBe(0);
  });

  it('builds a PrometheusRule manifest whose spec passes promtool', () => {
    const manifest = prometheusRuleManifest({ services: ['orders'] }, { namespace: 'shop', labels: { release: 'kube-prometheus-stack' } });
    expect(manifest).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'graylane-rollback', namespace: 'shop', labels: { release: 'kube-prometheus-stack' } } });
    const read = parse(rulesToYaml(manifest)) as { spec: unknown };
    expect(read.spec).toEqual(prometheusRules({ services: ['orders'] }));
    expect(promtoolCheckRules(rulesToYaml(read.spec as never)).status).toBe(0);
  });

  it.each([
    ['no services', { services: [] }],
    ['a bad service name', { services: ['a b'] }],
    ['a prototype name', { services: ['__proto__'] }],
    ['a duplicate service', { services: ['a', 'a'] }],
    ['an error rate of 1', { services: ['a'], maxErrorRate: 1 }],
    ['a negative p99', { services: ['a'], maxP99Ms: -1 }],
    ['a bad window', { services: ['a'], window: '1 m' }],
    ['a window that injects PromQL', { services: ['a'], window: '1m])) or vector(1' }],
    ['a bad stage', { services: ['a'], stages: ['Canary'] }],
    ['a bad match label', { services: [{ name: 'a', match: { 'bad-label': 'x' } }] }],
    ['a match on the stage label', { services: [{ name: 'a', match: { release_stage: 'stable' } }] }],
    ['an unknown gRPC code', { services: ['a'], grpcOkCodes: ['FINE'] }],
    ['an alert label graylane sets', { services: ['a'], alertLabels: { graylane_service: 'x' } }],
  ])('throws GrayConfigError for %s', (_name, options) => {
    expect(() => prometheusRules(options as unknown as PrometheusRulesOptions)).toThrow(GrayConfigError);
  });
});

describe('graylane rules prometheus (CLI)', () => {
  it('prints rules and a manifest that pass promtool; writes -o; exits 2 on bad input', async () => {
    const cli = (args: string[]) => run('npx', ['tsx', 'src/cli/index.ts', 'rules', 'prometheus', ...args], { timeout: 60_000 });
    const { stdout } = await cli(['--service', 'orders', '--service', 'web:http', '--stage', 'canary', '--max-error-rate', '0.01', '--for', '30s', '--label', 'team=shop']);
    expect(promtoolCheckRules(stdout).status).toBe(0);
    expect(stdout).toContain('> 0.01\\n');
    expect(stdout).toContain('http_requests_total{job=\\"web\\"');
    expect(stdout).toContain('team: "shop"');

    const dir = mkdtempSync(join(tmpdir(), 'graylane-cli-rules-'));
    try {
      writeFileSync(join(dir, 'options.json'), JSON.stringify({ services: [{ name: 'pricing', match: { job: 'pricing-svc' } }], window: '2m' }));
      await cli(['--config', join(dir, 'options.json'), '--manifest', '--namespace', 'shop', '-o', join(dir, 'out.yml')]);
      const manifest = parse(readFileSync(join(dir, 'out.yml'), 'utf8')) as { kind: string; metadata: { namespace: string }; spec: unknown };
      expect(manifest.kind).toBe('PrometheusRule');
      expect(manifest.metadata.namespace).toBe('shop');
      expect(JSON.stringify(manifest.spec)).toContain('job=\\"pricing-svc\\"');
      expect(promtoolCheckRules(rulesToYaml(manifest.spec as never)).status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const bad = await cli(['--service', 'orders', '--window', 'soon']).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toContain('window');
    const none = await cli([]).catch((e: { code: number }) => e);
    expect(none).toMatchObject({ code: 2 });
  }, 120_000);
});
