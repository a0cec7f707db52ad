/**
 * The benchmark harness: its statistics and verdicts on fixed inputs, the CPU-profile share parser
 * on a real profile, and both benches end to end in a tiny configuration (shape, lost tags, and that
 * the chains really run graylane's built dist/). Never asserts speed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bootstrapMedian, bootstrapQuantile, verdict } from '../../bench/stats.js';
import { countProfile, readMainProfile } from '../../bench/profile-share.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'graylane-harness-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function runTsx(script: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout));
  });
}

describe('bench/stats.ts', () => {
  it('gives the exact bootstrap interval of the median for 1..9: [x(2), x(8)]', () => {
    // P(resampled median ≤ x(k)) = P(Binomial(9, k/9) ≥ 5): 0.0014 for k = 1, 0.030 for k = 2, 0.970 for k = 7.
    const e = bootstrapMedian([9, 1, 8, 2, 7, 3, 6, 4, 5]);
    expect(e).toMatchObject({ value: 5, lo: 2, hi: 8, n: 9 });
    expect(bootstrapMedian([9, 1, 8, 2, 7, 3, 6, 4, 5])).toEqual(e); // seeded: the same rounds, the same interval
  });

  it('collapses to the value when every round agrees, and skips non-finite rounds', () => {
    expect(bootstrapMedian([1.05, 1.05, 1.05, NaN, 1.05])).toMatchObject({ value: 1.05, lo: 1.05, hi: 1.05, n: 4 });
    expect(bootstrapMedian([])).toMatchObject({ value: null, lo: null, hi: null, n: 0 });
  });

  it('bootstraps a p99 inside the range of the samples', () => {
    const ms = Array.from({ length: 200 }, (_, i) => i + 1);
    const e = bootstrapQuantile(ms, 0.99);
    expect(e.value).toBe(198);
    expect(e.lo!).toBeGreaterThanOrEqual(190);
    expect(e.hi!).toBeLessThanOrEqual(200);
    expect(e.lo!).toBeLessThanOrEqual(e.value!);
  });

  it('judges a bar on the interval: met, missed or unsettled — never on the median alone', () => {
    const below = bootstrapMedian([0.95, 0.97, 0.98, 0.99, 1.0, 1.0, 1.01, 1.02]);
    expect(verdict(below, '<=', 1.03)).toBe('met');
    expect(verdict(bootstrapMedian([1.05, 1.07, 1.08, 1.09, 1.1, 1.1, 1.11, 1.12]), '<=', 1.03)).toBe('missed');
    const wide = bootstrapMedian([0.89, 0.95, 0.99, 1.01, 1.02, 1.08, 1.2, 1.39]); // median 1.015 < 1.03, interval crosses it
    expect(wide.value!).toBeLessThan(1.03);
    expect(verdict(wide, '<=', 1.03)).toBe('unsettled');
    expect(verdict({ lo: 1, hi: 1.03, n: 8 }, '<=', 1.03)).toBe('met');
    expect(verdict({ lo: 1.5, hi: 1.6, n: 8 }, '>=', 1.45)).toBe('met');
    expect(verdict({ lo: 1.2, hi: 1.4, n: 8 }, '>=', 1.45)).toBe('missed');
    expect(verdict({ lo: 0.9, hi: 0.95, n: 2 }, '<=', 1.03)).toBe('unsettled'); // too few rounds
    expect(verdict(null, '<=', 1.03)).toBe('n/a');
  });
});

describe('bench/profile-share.ts', () => {
  it("counts a real --cpu-prof profile's samples in a dist/ folder and in AsyncLocalStorage, per window", () => {
    const dir = join(tmp, 'prof-app');
    mkdirSync(join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'hot.mjs'), 'export function spin(ms) { let x = 0; const end = Date.now() + ms; while (Date.now() < end) x += Math.sqrt(x + 1); return x; }\n');
    writeFileSync(join(dir, 'main.mjs'), [
      "import { AsyncLocalStorage } from 'node:async_hooks';",
      "import { spin } from './dist/hot.mjs';",
      'const now = () => Number(process.hrtime.bigint() / 1000n);',
      'const als = new AsyncLocalStorage();',
      'function here(ms) { let x = 0; const end = Date.now() + ms; while (Date.now() < end) x += Math.sqrt(x + 1); return x; }',
      'here(250); // before any window: must not be counted in one',
      'const t0 = now(); spin(300); const t1 = now();',
      'let n = 0; const end = Date.now() + 300;',
      'while (Date.now() < end) await als.run({ n }, async () => { for (let i = 0; i < 50; i++) { await null; n += als.getStore().n > -1 ? 1 : 0; } });',
      'const t2 = now();',
      'console.log(JSON.stringify({ hot: [t0, t1], als: [t1, t2] }));',
    ].join('\n'));
    const out = execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'prof')}`, '--cpu-prof-interval=250', join(dir, 'main.mjs')], { encoding: 'utf8' });
    const windows = JSON.parse(out) as { hot: [number, number]; als: [number, number] };
    expect(readdirSync(join(dir, 'prof')).length).toBe(1);
    const profile = readMainProfile(join(dir, 'prof'))!;
    const prefix = `${pathToFileURL(join(dir, 'dist')).href}/`;
    const { total, windows: [hot, als] } = countProfile(profile, prefix, [windows.hot, windows.als]);
    expect(hot!.samples).toBeGreaterThan(200);
    expect(hot!.graylane / hot!.samples).toBeGreaterThan(0.8);
    expect(als!.samples).toBeGreaterThan(200);
    expect(als!.graylane).toBe(0);
    expect(als!.asyncContext).toBeGreaterThan(0);
    expect(hot!.samples + als!.samples).toBeLessThanOrEqual(total.samples);
    expect(total.graylane).toBeGreaterThanOrEqual(hot!.graylane);
  });
});

describe('bench/run.ts', () => {
  it('runs the built package in interleaved rounds and reports intervals, verdicts, profile shares and docs', async () => {
    const out = join(tmp, 'docs');
    const stdout = await runTsx('bench/run.ts', [
      '--quick', '--json', '--docs', '--out', out, '--no-micro', '--node', 'current', '--rounds', '3', '--hops', '1',
      '--scenarios', 'hand,graylane', '--throughput-ms', '300', '--latency-calls', '20', '--cpu-prof-interval', '250',
    ], 150_000);
    const report = JSON.parse(stdout) as {
      tool: string; schema: number; mode: string; config: Record<string, unknown>;
      runtimes: {
        node: string; primary: boolean; source: string;
        topologies: { hops: number; scenarios: { scenario: string; rounds: number; baseline: string | null; lostTags: number; errors: number; cpuVsBaseline: { value: number; lo: number; hi: number; n: number } | null }[] }[];
        profiles: { scenario: string; processes: { role: string; samples: number; pooled: { graylane: number; samples: number } }[] }[];
        targets: { id: string; verdict: string }[];
      }[];
    };
    expect(report).toMatchObject({ tool: 'graylane-bench', schema: 2, mode: 'custom' });
    expect(report.config).toMatchObject({ rounds: 3, concurrency: 64, throughputMs: 300, profile: true, cpuProfIntervalUs: 250 });
    expect(report.runtimes).toHaveLength(1);
    const [rt] = report.runtimes;
    expect(rt).toMatchObject({ node: process.version, primary: true, source: "this machine's node" });
    const [hand, gray] = rt!.topologies[0]!.scenarios;
    expect(hand).toMatchObject({ scenario: 'hand', rounds: 3, baseline: null, lostTags: 0, errors: 0, cpuVsBaseline: null });
    expect(gray).toMatchObject({ scenario: 'graylane', rounds: 3, baseline: 'hand', lostTags: 0, errors: 0 });
    const r = gray!.cpuVsBaseline!;
    expect(r.n).toBe(3);
    expect(r.lo).toBeLessThanOrEqual(r.value);
    expect(r.value).toBeLessThanOrEqual(r.hi);
    expect(['met', 'missed', 'unsettled']).toContain(rt!.targets.find((t) => t.id === 'propagation-cpu')!.verdict);
    // The chains ran graylane from dist/: its frames show up in the graylane chain's hop, never in hand's.
    const hopOf = (s: string) => rt!.profiles.find((p) => p.scenario === s)!.processes.find((p) => p.role === 'A')!;
    expect(hopOf('hand').samples).toBeGreaterThan(0);
    expect(hopOf('hand').pooled.graylane).toBe(0);
    expect(hopOf('graylane').pooled.graylane).toBeGreaterThan(0);
    const md = readFileSync(join(out, 'benchmarks.md'), 'utf8');
    expect(md).toContain('## Method');
    expect(md).toContain(`Node ${process.version}`);
    expect(md).toMatch(/\| propagation .* \| (\*\*met\*\*|\*\*missed\*\*|unsettled) \|/);
    expect(readFileSync(join(out, 'benchmarks.svg'), 'utf8')).toContain('<svg');
  }, 180_000);

  it('rejects an unknown scenario', async () => {
    await expect(runTsx('bench/run.ts', ['--scenarios', 'nope', '--no-docs'], 20_000)).rejects.toThrow(/unknown scenario/);
  }, 30_000);
});

describe('bench/scale.ts', () => {
  it('times the pick at two sizes and the file registry at 10,000 instances', async () => {
    const stdout = await runTsx('bench/scale.ts', ['--quick', '--json', '--no-docs', '--node', 'current', '--sizes', '1,10', '--no-etcd'], 170_000);
    const report = JSON.parse(stdout) as {
      node: string;
      pick: { rows: { size: number; kind: string; nsPerPick: { value: number; n: number } }[] };
      registries: { kind: string; instances: number; heapDeltaMb: number; changes: number; lost: number; p99Ms: { value: number } }[];
      targets: { id: string; verdict: string }[];
      skipped: string[];
    };
    expect(report.node).toBe(process.version);
    expect(report.pick.rows.map((r) => `${r.size} ${r.kind}`)).toEqual([
      '1 graylane canary', '1 graylane untagged', '1 round_robin', '10 graylane canary', '10 graylane untagged', '10 round_robin',
    ]);
    for (const row of report.pick.rows) expect(row.nsPerPick.value).toBeGreaterThan(0);
    expect(report.registries).toHaveLength(1);
    expect(report.registries[0]).toMatchObject({ kind: 'file', instances: 10_000, lost: 0 });
    expect(report.registries[0]!.heapDeltaMb).toBeGreaterThan(0);
    expect(report.registries[0]!.p99Ms.value).toBeGreaterThan(0);
    expect(report.targets.map((t) => t.id)).toEqual(['pick-1', 'pick-10', 'file-heap', 'file-change-p99']);
    expect(report.skipped).toEqual(['etcd registry: --no-etcd']);
  }, 180_000);
});

describe('bench/cli.ts', () => {
  it('rewrites docs/ only after a full run, unless --docs / --no-docs say otherwise', async () => {
    const { parseArgs } = await import('../../bench/cli.js');
    expect(parseArgs([]).docs).toBe(true);
    expect(parseArgs(['--json']).docs).toBe(true);
    expect(parseArgs(['--quick']).docs).toBe(false);
    expect(parseArgs(['--node', 'current']).docs).toBe(false);
    expect(parseArgs(['--rounds', '2']).docs).toBe(false);
    expect(parseArgs(['--scenarios', 'hand,graylane']).docs).toBe(false);
    expect(parseArgs(['--quick', '--docs']).docs).toBe(true);
    expect(parseArgs(['--no-docs']).docs).toBe(false);
  });

  it('runs on Node 24 then Node 20 by default, 3 hops, with the full stack and nice-grpc', async () => {
    const { parseArgs } = await import('../../bench/cli.js');
    const cli = parseArgs([]);
    expect(cli.node).toEqual(['24', '20']);
    expect(cli.hops).toEqual([3]);
    expect(cli.scenarios).toEqual(expect.arrayContaining(['hand', 'graylane', 'full', 'nice-hand', 'nice-grpc']));
    expect(() => parseArgs(['--node', 'twenty'])).toThrow(/--node/);
  });
});
