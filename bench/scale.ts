/**
 * `npm run bench:scale`: what graylane costs as the fleet grows, on the built package (Node 24 by
 * default): the balancer's pick at 1, 10, 100 and 1,000 instances per stage against grpc-js
 * round_robin (bench/scale-pick.ts), and the file and etcd registries at 10,000 instances across
 * 1,000 services — heap, load time, change → listener latency (bench/scale-registry.ts; etcd is a
 * real one on a free loopback port, started by test/helpers/etcd.ts). After a full run writes
 * docs/benchmarks-scale.json and re-renders docs/benchmarks.md.
 * Usage: npx tsx bench/scale.ts [--quick] [--json] [--node 24|current] [--sizes 1,10,100,1000] [--no-etcd] [--docs | --no-docs] [--out DIR]
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { etcdAvailable, startEtcd } from '../test/helpers/etcd.js';
import { prepareBuild } from './build.js';
import { REPO_ROOT, runJsonChild } from './procs.js';
import { scaleConsoleTable, writeDocs } from './report.js';
import { resolveRuntimes } from './runtimes.js';
import { summarizePick, summarizeRegistry, type PickRaw, type RegistryRaw, type RegistryRow, type ScaleReport } from './scale-summary.js';
import type { Target } from './summary.js';
import { cpuModel } from './machine.js';

const argv = process.argv.slice(2);
const flag = (f: string): boolean => argv.includes(f);
const opt = (f: string): string | undefined => {
  const i = argv.indexOf(f);
  return i < 0 ? undefined : argv[i + 1];
};
const known = new Set(['--quick', '--json', '--node', '--sizes', '--no-etcd', '--docs', '--no-docs', '--out']);
for (const [i, a] of argv.entries()) {
  if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a}`);
  if (!a.startsWith('--') && !['--node', '--sizes', '--out'].includes(argv[i - 1] ?? '')) throw new Error(`unexpected argument ${a}`);
}
const quick = flag('--quick');
const json = flag('--json');
const custom = ['--node', '--sizes', '--no-etcd'].some(flag);
const docs = flag('--docs') || (!flag('--no-docs') && !quick && !custom);
const out = opt('--out') ?? join(REPO_ROOT, 'docs');
const sizes = opt('--sizes') ?? '1,10,100,1000';
if (!/^\d+(,\d+)*$/.test(sizes)) throw new Error('--sizes takes a comma-separated list of instance counts, e.g. 1,10,100,1000');
const log = (msg: string): void => {
  (json ? process.stderr : process.stdout).write(`${msg}\n`);
};


async function main(): Promise<void> {
  const t0 = Date.now();
  const load = loadavg();
  const build = prepareBuild(log);
  const [rt] = await resolveRuntimes([opt('--node') ?? '24'], log);
  if (rt === undefined) throw new Error('no runtime to run on');
  log(`graylane scale bench on Node ${rt.version} (${rt.source})${quick ? ' (quick)' : ''}`);
  const q = quick ? ['--quick'] : [];
  const targets: Target[] = [];
  const skipped: string[] = [];

  log(`balancer pick at ${sizes} instances per stage…`);
  const pickRaw = (await runJsonChild(rt.bin, join(build.outDir, 'scale-pick.js'), [...q, '--sizes', sizes], 600_000)) as PickRaw;
  const pick = summarizePick(pickRaw);
  targets.push(...pick.targets);

  const registries: RegistryRow[] = [];
  const runRegistry = async (kind: 'file' | 'etcd', endpoint?: string): Promise<void> => {
    log(`${kind} registry: 10,000 instances across 1,000 services…`);
    const raw = (await runJsonChild(rt.bin, join(build.outDir, 'scale-registry.js'), [kind, ...(endpoint === undefined ? [] : [endpoint]), ...q], 600_000, ['--expose-gc'])) as RegistryRaw;
    const s = summarizeRegistry(raw);
    registries.push(s.row);
    targets.push(...s.targets);
  };
  await runRegistry('file');
  if (flag('--no-etcd')) skipped.push('etcd registry: --no-etcd');
  else if (!etcdAvailable()) skipped.push("etcd registry: the 'etcd' binary is not installed (apt-get install -y etcd-server)");
  else {
    const etcd = await startEtcd();
    try {
      await runRegistry('etcd', etcd.endpoint);
    } finally {
      await etcd.close();
    }
  }
  for (const s of skipped) log(`skipped ${s}`);

  const report: ScaleReport = {
    tool: 'graylane-bench-scale',
    schema: 1,
    date: new Date().toISOString(),
    mode: custom ? 'custom' : quick ? 'quick' : 'full',
    command: `npm run bench:scale${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    node: rt.version,
    source: rt.source,
    grpcJs: (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/@grpc/grpc-js/package.json'), 'utf8')) as { version: string }).version,
    cpuModel: cpuModel(),
    nproc: availableParallelism(),
    loadAvgAtStart: load,
    pick: { rows: pick.rows, rounds: pickRaw.rounds, batch: pickRaw.batch, connectMs: pickRaw.connectMs },
    registries,
    skipped,
    targets,
    durationSec: (Date.now() - t0) / 1000,
  };
  if (docs) writeDocs(out, log, undefined, report);
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else log(scaleConsoleTable(report));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:scale failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
