/**
 * Test helper: a real Prometheus (Debian `prometheus`) and Alertmanager (Debian
 * `prometheus-alertmanager`) on free loopback ports with temp dirs, plus `promtool check rules`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers, freePort, requireProgram, startProgram, type Program } from './programs.js';

/** Runs `promtool check rules` on `yaml`; returns its exit status and output. */
export function promtoolCheckRules(yaml: string): { status: number | null; output: string } {
  const promtool = requireProgram('promtool', 'prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'graylane-promtool-'));
  try {
    const file = join(dir, 'rules.yml');
    writeFileSync(file, yaml);
    const r = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A running Prometheus. */
export interface RunningPrometheus {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Instant query; the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** The active alerts (`/api/v1/alerts`). */
  alerts(): Promise<Array<{ labels: Record<string, string>; state: string }>>;
  /** Its output, for failure messages. */
  output(): string;
  /** Stops it and removes its temp dir. */
  close(): Promise<void>;
}

export interface PrometheusSetup {
  /** Scrape jobs: job name → `host:port` targets (path `/metrics`). */
  readonly jobs: Readonly<Record<string, readonly string[]>>;
  /** The rules file content. */
  readonly rules: string;
  /** Alertmanager `host:port`, if any. */
  readonly alertmanager?: string;
  /** Scrape and evaluation interval. Default `'1s'`. */
  readonly interval?: string;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? res.status}`);
  return body.data;
}

/** Starts Prometheus scraping `jobs`, evaluating `rules`, and sending alerts to `alertmanager`. */
export async function startPrometheus(setup: PrometheusSetup): Promise<RunningPrometheus> {
  const binary = requireProgram('prometheus', 'prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'graylane-prometheus-'));
  const interval = setup.interval ?? '1s';
  writeFileSync(join(dir, 'rules.yml'), setup.rules);
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: [join(dir, 'rules.yml')],
    scrape_configs: Object.entries(setup.jobs).map(([job, targets]) => ({ job_name: job, static_configs: [{ targets }] })),
    ...(setup.alertmanager === undefined ? {} : { alerting: { alertmanagers: [{ static_configs: [{ targets: [setup.alertmanager] }] }] } }),
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let program: Program;
  try {
    program = await startProgram(binary, [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    ], () => answers(`${url}/-/ready`));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    query: (expr) => getJson<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`).then((d) => d.result),
    alerts: () => getJson<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>(`${url}/api/v1/alerts`).then((d) => d.alerts),
    output: () => program.output(),
    async close() {
      await program.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A running Alertmanager. */
export interface RunningAlertmanager {
  /** `host:port` for Prometheus's `alerting` config. */
  readonly address: string;
  /** Its output, for failure messages. */
  output(): string;
  /** Stops it and removes its temp dir. */
  close(): Promise<void>;
}

/** Starts Alertmanager (clustering off) routing every alert to one webhook with a bearer token, resolved notifications on. */
export async function startAlertmanager(webhookUrl: string, token: string): Promise<RunningAlertmanager> {
  const binary = requireProgram('prometheus-alertmanager', 'prometheus-alertmanager');
  const dir = mkdtempSync(join(tmpdir(), 'graylane-alertmanager-'));
  const config = {
    route: { receiver: 'graylane', group_by: ['alertname', 'graylane_service', 'release_stage'], group_wait: '0s', group_interval: '1s', repeat_interval: '1h' },
    receivers: [{
      name: 'graylane',
      webhook_configs: [{ url: webhookUrl, send_resolved: true, http_config: { authorization: { type: 'Bearer', credentials: token } } }],
    }],
  };
  writeFileSync(join(dir, 'alertmanager.yml'), JSON.stringify(config));
  const port = await freePort();
  let program: Program;
  try {
    program = await startProgram(binary, [
      `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn',
    ], () => answers(`http://127.0.0.1:${port}/-/ready`));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    address: `127.0.0.1:${port}`,
    output: () => program.output(),
    async close() {
      await program.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
