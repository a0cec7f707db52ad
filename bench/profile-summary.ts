/**
 * Summarises the CPU profiles a bench run kept (`npx tsx bench/run.ts --keep-profiles DIR`): per
 * process, the share of samples by area (graylane, async-context machinery, GC, grpc-js) and the
 * top graylane and async-context frames. Usage: npx tsx bench/profile-summary.ts DIR [filter]
 * @packageDocumentation
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { countProfile, readMainProfile, topFrames } from './profile-share.js';
import { REPO_ROOT } from './procs.js';

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: profile-summary.ts DIR [filter]\n');
  process.exit(2);
}
const filter = process.argv[3] ?? '';
const prefix = `${pathToFileURL(join(REPO_ROOT, 'dist')).href}/`;
const pct = (n: number, d: number): string => `${((100 * n) / Math.max(1, d)).toFixed(2).padStart(6)} %`;

function* folders(root: string): Generator<string> {
  for (const d of readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const path = join(root, d.name);
    if (readdirSync(path).some((n) => n.endsWith('.cpuprofile'))) yield path;
    else yield* folders(path);
  }
}

for (const folder of [...folders(dir)].filter((f) => f.includes(filter)).sort()) {
  const p = readMainProfile(folder);
  if (p === undefined) continue;
  const { total: c } = countProfile(p, prefix);
  process.stdout.write(`\n${folder.slice(dir.length + 1)}: ${c.samples} samples (whole profile, idle excluded)\n`);
  process.stdout.write(`  ${pct(c.graylane, c.samples)}  graylane\n  ${pct(c.asyncContext, c.samples)}  async-context machinery\n  ${pct(c.gc, c.samples)}  GC\n  ${pct(c.grpcJs, c.samples)}  grpc-js\n`);
  for (const [k, n] of topFrames(p, prefix, 'graylane')) process.stdout.write(`  ${pct(n, c.samples)}  graylane: ${k}\n`);
  for (const [k, n] of topFrames(p, prefix, 'async-context', 5)) process.stdout.write(`  ${pct(n, c.samples)}  async: ${k}\n`);
}
