/**
 * The benchmark harness end to end, in a tiny configuration: its `--json` output has the documented
 * shape and no tag is lost. Checks shape only — never speed.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runBench(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: root, timeout: 60_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout));
  });
}

describe('bench/run.ts', () => {
  it('--quick --json runs a tiny interleaved configuration and reports ratios and lost tags', async () => {
    const stdout = await runBench([
      '--quick', '--json', '--no-docs', '--no-micro', '--reps', '1', '--hops', '1',
      '--scenarios', 'hand,graylane', '--throughput-ms', '200', '--latency-calls', '30',
    ]);
    const report = JSON.parse(stdout) as Record<string, unknown> & {
      topologies: { hops: number; scenarios: Record<string, unknown>[] }[];
      targets: { id: string; status: string }[];
      config: Record<string, unknown>;
    };
    expect(report).toMatchObject({ tool: 'graylane-bench', schema: 1, scenarios: ['hand', 'graylane'], micro: null, awaitCost: null, routingCost: null });
    expect(report.node).toBe(process.version);
    expect(typeof report.cpuModel).toBe('string');
    expect(report.nproc).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(report.date as string))).toBe(false);
    expect(report.config).toMatchObject({ reps: 1, concurrency: 64, throughputMs: 200, latencyCalls: 30 });
    expect(report.topologies.map((t) => t.hops)).toEqual([1]);

    const [hand, gray] = report.topologies[0]!.scenarios;
    for (const s of [hand!, gray!]) {
      expect(s).toMatchObject({ reps: 1, lostTags: 0, errors: 0 });
      const m = s.medians as Record<string, number>;
      for (const k of ['p50Us', 'p99Us', 'throughput', 'cpuUsPerCall']) expect(m[k]).toBeGreaterThan(0);
    }
    expect(hand!.scenario).toBe('hand');
    expect(hand!.vsHand).toBeNull();
    expect(gray!.scenario).toBe('graylane');
    const vsHand = gray!.vsHand as Record<string, { median: number; min: number; max: number; n: number }>;
    for (const k of ['throughput', 'cpuPerCall', 'p50', 'p99']) {
      expect(vsHand[k]!.n).toBe(1);
      expect(vsHand[k]!.median).toBeGreaterThan(0);
      expect(vsHand[k]!.min).toBeLessThanOrEqual(vsHand[k]!.max);
    }
    expect(gray!.vsRaw).toBeNull(); // raw was not in the run
    expect(report.targets.map((t) => t.id)).toContain('throughput-vs-hand');
    expect(report.targets.every((t) => ['met', 'missed', 'n/a'].includes(t.status))).toBe(true);
  }, 60_000);

  it('rejects an unknown scenario', async () => {
    await expect(runBench(['--scenarios', 'nope', '--no-docs'])).rejects.toThrow(/unknown scenario/);
  }, 20_000);
});

describe('bench/cli.ts', () => {
  it('rewrites docs/ only after a full run, unless --docs / --no-docs say otherwise', async () => {
    const { parseArgs } = await import('../../bench/cli.js');
    expect(parseArgs([]).docs).toBe(true);
    expect(parseArgs(['--json']).docs).toBe(true);
    expect(parseArgs(['--quick']).docs).toBe(false);
    expect(parseArgs(['--quick', '--json']).docs).toBe(false);
    expect(parseArgs(['--reps', '2']).docs).toBe(false);
    expect(parseArgs(['--scenarios', 'hand,graylane']).docs).toBe(false);
    expect(parseArgs(['--quick', '--docs']).docs).toBe(true);
    expect(parseArgs(['--no-docs']).docs).toBe(false);
  });
});
