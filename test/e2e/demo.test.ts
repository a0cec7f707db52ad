import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

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
  });
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
