#!/usr/bin/env node
/**
 * Regenerates the ts-proto code in src/gen/ from protos/ with @bufbuild/buf (buf.yaml, buf.gen.yaml).
 * No system protoc is needed.
 *
 *   node scripts/proto.mjs           regenerate src/gen/
 *   node scripts/proto.mjs --check   regenerate, then fail (exit 1) when src/gen/ differs from git (drift check for CI)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const bin = (name) => join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
  if (result.error) throw result.error;
  return result;
}

for (const tool of ['buf', 'protoc-gen-ts_proto']) {
  if (!existsSync(bin(tool))) {
    console.error(`proto: ${bin(tool)} not found; install the devDependencies (@bufbuild/buf, ts-proto) first.`);
    process.exit(2);
  }
}

const generated = run(bin('buf'), ['generate']);
process.stdout.write(generated.stdout);
process.stderr.write(generated.stderr);
if (generated.status !== 0) {
  console.error(`proto: buf generate failed (exit ${String(generated.status)}).`);
  process.exit(generated.status ?? 1);
}

if (!check) {
  console.log('proto: regenerated src/gen/');
  process.exit(0);
}

const status = run('git', ['status', '--porcelain', '--untracked-files=all', '--', 'src/gen']);
if (status.status !== 0) {
  process.stderr.write(status.stderr);
  console.error('proto: git status failed; the drift check needs a git checkout.');
  process.exit(2);
}
if (status.stdout.trim() !== '') {
  console.error('proto: src/gen/ is out of date with protos/. Run `npm run proto` and commit the result. Changed files:');
  console.error(status.stdout);
  process.stdout.write(run('git', ['--no-pager', 'diff', '--stat', '--', 'src/gen']).stdout);
  process.exit(1);
}
console.log('proto: src/gen/ is up to date.');
