/**
 * The soak entry (soak/run.ts) as CI runs it: a short run through the real script and process,
 * checking 0 lost / 0 crossed / 0 failed and the shape of the `--json` summary. No timing asserts.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs soak/run.ts as `npm run soak` does (real process, --expose-gc), bounded at 2 minutes. */
const runSoak = (args: readonly string[]) =>
  spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'soak/run.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

describe('soak (short)', () => {
  it('3,000 mixed calls over the 3-hop chain: no lost or crossed tag, summary shape', () => {
    const res = runSoak(['--calls', '3000', '--workers', '1', '--json']);
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

  it('--workers 2 splits the calls over two processes and sums their counts', () => {
    const res = runSoak(['--calls', '801', '--workers', '2', '--json']);
    expect(res.error).toBeUndefined();
    type Summary = { ok: boolean; completed: number; workers: number; seed: number; lost: number; crossed: number; failed: number; recordsChecked: number; byType: Record<string, number>; heap: { growthMB: number }; perWorker?: Summary[] };
    const summary = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as Summary;
    expect(summary).toMatchObject({ calls: 801, completed: 801, workers: 2, lost: 0, crossed: 0, failed: 0, stoppedEarly: null });
    const per = summary.perWorker!;
    expect(per.map((w) => w.completed)).toEqual([401, 400]);
    expect(per.map((w) => w.seed)).toEqual([summary.seed, summary.seed + 1]);
    expect(summary.recordsChecked).toBe(per[0]!.recordsChecked + per[1]!.recordsChecked);
    expect(summary.byType['unary']).toBe(per[0]!.byType['unary']! + per[1]!.byType['unary']!);
    expect(summary.heap.growthMB).toBe(Math.max(per[0]!.heap.growthMB, per[1]!.heap.growthMB));
    expect(res.status).toBe(summary.ok ? 0 : 1);
  }, 150_000);
});
