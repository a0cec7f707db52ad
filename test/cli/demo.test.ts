import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('graylane demo (short mode)', () => {
  it('reports 0 tags lost, 0 misrouted, and a tripped rollback with canary traffic moved to stable', async () => {
    const { stdout } = await run('npx', ['tsx', 'src/cli/index.ts', 'demo', '--requests', '120', '--json'], { timeout: 120_000 });
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
  });
});
