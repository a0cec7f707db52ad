import { execFile, spawn } from 'node:child_process';
import http from 'node:http';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { DashboardState } from '../../src/dashboard/index.js';

const run = promisify(execFile);

/** Whether something answers on 127.0.0.1:5672 (the demo's RabbitMQ; the project's machines run one). */
const rabbitAnswers = (): Promise<boolean> => new Promise((done) => {
  const s = connect(5672, '127.0.0.1', () => { s.destroy(); done(true); });
  s.on('error', () => done(false));
  s.setTimeout(2_000, () => { s.destroy(); done(false); });
});

describe('npm run demo (the example shop, short mode)', () => {
  it('reports 0 tags lost, 0 misrouted, and a tripped rollback with canary traffic moved to stable', async () => {
    const { stdout } = await run('npx', ['tsx', 'examples/shop/main.ts', '--requests', '120', '--json'], { timeout: 120_000 });
    const report = JSON.parse(stdout);
    expect(report.requests).toBe(120);
    expect(report.hopsChecked).toBe(360);
    expect(report.tagsLost).toBe(0);
    expect(report.misrouted).toBe(0);
    expect(report.failed).toBe(0);
    // Spoofed tags (no QA token) never reached a canary; QA canary traffic always did where one exists.
    for (const service of ['inventory', 'pricing']) {
      expect(report.perHop[`${service}|spoofed|canary`]).toBeUndefined();
      expect(report.perHop[`${service}|qa-canary|stable`]).toBeUndefined();
      expect(report.perHop[`${service}|qa-canary|canary`]).toBe(30);
    }
    expect(report.trace.status).toBe('ok');
    expect(report.trace.hops.map((h: { service: string; stage: string }) => `${h.service}:${h.stage}`)).toEqual(['orders:canary', 'inventory:canary', 'pricing:canary']);
    expect(report.rollback.tripped).toBe(true);
    expect(report.rollback.afterTrip.requests).toBeGreaterThan(0);
    expect(report.rollback.afterTrip.pricedByStable).toBe(report.rollback.afterTrip.requests);
    expect(report.rollback.resumed).toBe(true);
    // The edge stops coloring users into the disabled canary, and colors them again after resume.
    expect(report.rollback.edge).toMatchObject({ user: expect.stringMatching(/^user-/), afterTrip: 'stable', afterResume: 'canary' });
    // The ramp drill: healthy steps advance; errors injected at the third step abort the ramp there,
    // and the edge colors no new user canary afterwards.
    expect(report.ramp).toMatchObject({ steps: [10, 25, 50, 100], reached: 50, failAt: 50, aborted: true, reason: expect.stringMatching(/^error-rate: /), canaryAfterAbort: 0 });
    expect(report.ramp.perStep.map((s: { percent: number }) => s.percent)).toEqual([10, 25, 50]);
    const events = report.ramp.timeline.map((t: { event: string }) => t.event).join('\n');
    expect(events).toMatch(/ramp started[\s\S]*step 2\/4: share 25 %[\s\S]*errors injected into pricing-canary at 50 %[\s\S]*ramp aborted: error-rate/);

    // The queue hop: orders → RabbitMQ → stable / canary worker, lanes from the shop's registry.
    if (!(await rabbitAnswers())) {
      expect(report.queue).toMatchObject({ skipped: true, broker: '127.0.0.1:5672', reason: expect.stringContaining('no RabbitMQ') });
      return;
    }
    const q = report.queue;
    expect(q.skipped).toBeUndefined();
    expect(q.published).toBe(4 * 20 + 1);
    expect(q.consumed).toBe(q.published);
    expect(q).toMatchObject({ lost: 0, misrouted: 0, tagsLost: 0, publishErrors: 0 });
    // Untagged and spoofed events never reach canary code; QA canary events always do.
    expect(q.perClass).toMatchObject({ 'qa-canary|canary': 20, 'untagged|stable': 20, 'spoofed|stable': 20 });
    for (const k of ['qa-canary|stable', 'untagged|canary', 'spoofed|canary']) expect(q.perClass[k]).toBeUndefined();
    expect((q.perClass['users|stable'] ?? 0) + (q.perClass['users|canary'] ?? 0)).toBe(20);
    expect(q.trace).toMatchObject({ publishedStage: 'canary', lane: `${q.queue}.lane.canary`, consumerStage: 'canary', handlerStage: 'canary' });
  });

  it('without a broker, skips the queue hop with one line and still passes', async () => {
    const { stdout, stderr } = await run('npx', ['tsx', 'examples/shop/main.ts', '--requests', '40', '--json'], {
      timeout: 120_000,
      env: { ...process.env, GRAYLANE_DEMO_AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' },
    });
    const report = JSON.parse(stdout);
    expect(report.queue).toEqual({ skipped: true, broker: '127.0.0.1:1', reason: expect.stringContaining('no RabbitMQ at 127.0.0.1:1') });
    expect(stderr.split('\n').filter((l) => l.startsWith('queue hop skipped'))).toEqual(['queue hop skipped: no RabbitMQ at 127.0.0.1:1 — start one to see lanes through a queue']);
    expect(report.tagsLost).toBe(0);
  });
});

/** The first server-sent event of `url`, parsed. */
const firstEvent = (url: string): Promise<DashboardState> => new Promise((resolve, reject) => {
  http.get(url, (res) => {
    let data = '';
    res.on('data', (d: Buffer) => {
      data += d.toString();
      const m = /^data: (.*)$/m.exec(data);
      if (m && data.includes('\n\n', m.index)) {
        res.destroy();
        resolve(JSON.parse(m[1]!) as DashboardState);
      }
    });
  }).on('error', reject);
});

describe('npm run demo -- --dashboard', () => {
  it('serves the lane dashboard on the shop: every service and stage, the calls between them, every metrics endpoint up; Ctrl-C stops it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/shop/main.ts', '--requests', '40', '--json', '--dashboard', '--dashboard-exit-after-ms', '90000'], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GRAYLANE_DEMO_AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      // The URL is printed before the run; the dashboard keeps serving after the report.
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no dashboard after the run:\n${stderr}`)), 100_000);
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          const m = /dashboard still serving on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        void exited.then((code) => reject(new Error(`demo exited ${code}:\n${stderr}`)));
      });
      expect(stderr).toMatch(/^graylane dashboard on http:\/\/127\.0\.0\.1:\d+\/ \(read-only\)/m);
      expect(JSON.parse(stdout).rollback.tripped).toBe(true);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('graylane dashboard');
      const state = await firstEvent(`${url}events`);
      const stages = (name: string): string[] | undefined => state.services.find((s) => s.name === name)?.stages.map((s) => s.stage).sort();
      for (const service of ['orders', 'inventory', 'pricing']) expect(stages(service)).toEqual(['canary', 'stable']);
      expect(state.services.map((s) => s.name)).toContain('gateway');
      const pricing = state.services.find((s) => s.name === 'pricing')!;
      expect(pricing.stages.find((s) => s.stage === 'canary')!.instances).toHaveLength(1);
      expect(pricing.stages.find((s) => s.stage === 'stable')!.calls).toBeGreaterThan(0);
      expect(state.sources).toHaveLength(7);
      expect(state.sources.every((s) => s.status === 'ok')).toBe(true);
      const edges = new Set(state.edges.map((e) => `${e.from}>${e.to}:${e.stage}`));
      for (const e of ['gateway>orders:stable', 'orders>inventory:stable', 'orders>inventory:canary', 'inventory>pricing:stable', 'inventory>pricing:canary']) expect(edges).toContain(e);
    } finally {
      child.kill('SIGINT');
    }
    // The demo exits 1 when one of its own checks failed: its report says which.
    expect(await exited, `the demo's report:\n${stdout}\n${stderr.slice(-2000)}`).toBe(0);
  }, 150_000);
});

describe('npm run demo:chain', () => {
  it('sends mixed traffic through three hops and loses no tag', async () => {
    const { stdout } = await run('npx', ['tsx', 'examples/chain/demo.ts', '--requests', '150', '--json'], { timeout: 60_000 });
    const report = JSON.parse(stdout) as { requests: number; hopsChecked: number; tagsLost: number; perHop: Record<string, number> };
    expect(report.requests).toBe(150);
    expect(report.hopsChecked).toBe(450);
    expect(report.tagsLost).toBe(0);
    // Every hop saw canary traffic as canary and nothing else as canary.
    for (const hop of ['orders', 'inventory', 'pricing']) {
      expect(report.perHop[`${hop}|canary|canary`]).toBe(50);
      expect(report.perHop[`${hop}|untagged|stable`]).toBe(50);
      expect(report.perHop[`${hop}|stable|canary`]).toBeUndefined();
    }
  });
});
