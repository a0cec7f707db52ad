/**
 * The soak entry (soak/run.ts) as CI runs it: a short run through the real script and process,
 * checking 0 lost / 0 crossed / 0 failed and the shape of the `--json` summary. No timing asserts.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('soak (short)', () => {
  it('3,000 mixed calls over the 3-hop chain: no lost or crossed tag, summary shape', () => {
    const res = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'soak/run.ts', '--calls', '3000', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(res.error).toBeUndefined();
    const summary = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as Record<string, unknown> & {
      byType: Record<string, number>;
      heap: Record<string, number>;
      rss: Record<string, number>;
      checkpoints: unknown[];
    };
    expect(summary).toMatchObject({ calls: 3000, completed: 3000, failed: 0, lost: 0, crossed: 0, missingRecords: 0, stoppedEarly: null });
    expect(Object.keys(summary.byType).sort()).toEqual(['bidi', 'clientStream', 'serverStream', 'unary']);
    expect(Object.values(summary.byType).reduce((a, b) => a + b, 0)).toBe(3000);
    for (const count of Object.values(summary.byType)) expect(count).toBeGreaterThan(0);
    expect(summary.recordsChecked).toBeGreaterThanOrEqual(3000 * 8);
    for (const key of ['baselineMB', 'endMB', 'growthMB', 'targetMB']) expect(typeof summary.heap[key]).toBe('number');
    for (const key of ['baselineMB', 'endMB', 'peakMB']) expect(typeof summary.rss[key]).toBe('number');
    expect(summary.checkpoints.length).toBeGreaterThan(1);
    expect(res.status).toBe(summary.ok ? 0 : 1);
  }, 150_000);
});
