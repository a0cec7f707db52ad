#!/usr/bin/env node
/**
 * Regenerates the example shop's ts-proto code in examples/shop/gen/ from protos/ and examples/shop/protos/ with @bufbuild/buf (buf.yaml, buf.gen.yaml).
 * No system protoc is needed.
 *
 *   node scripts/proto.mjs           regenerate examples/shop/gen/
 *   node scripts/proto.mjs --check   generate into a temporary directory and fail (exit 1) when examples/shop/gen/ differs
 *                                    from it: missing, stale or changed files (drift check for CI; touches nothing)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
/** Where the generated code lives, relative to the repository root (buf.gen.yaml's `out` paths start here). */
const GEN = 'examples/shop/gen';
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

/** Runs `buf generate` with its output rooted at `outDir` (buf.gen.yaml writes under `<outDir>/examples/shop/gen/`). */
function generate(outDir) {
  const result = run(bin('buf'), ['generate', '--output', outDir]);
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  if (result.status !== 0) {
    console.error(`proto: buf generate failed (exit ${String(result.status)}).`);
    process.exit(result.status ?? 1);
  }
}

/** Every file under `dir`, as paths relative to it, sorted. */
function listFiles(dir, prefix = '') {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

if (!check) {
  generate(root);
  console.log(`proto: regenerated ${GEN}/`);
  process.exit(0);
}

// --check: generate into a temporary directory and compare; the working tree is not touched.
const tmp = mkdtempSync(join(tmpdir(), 'graylane-proto-'));
try {
  generate(tmp);
  const fresh = join(tmp, GEN);
  const current = join(root, GEN);
  const want = listFiles(fresh);
  const have = listFiles(current);
  const problems = [
    ...want.filter((f) => !have.includes(f)).map((f) => `missing:  ${GEN}/${f}`),
    ...have.filter((f) => !want.includes(f)).map((f) => `stale:    ${GEN}/${f}`),
    ...want.filter((f) => have.includes(f) && readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(current, f), 'utf8')).map((f) => `changed:  ${GEN}/${f}`),
  ];
  if (problems.length > 0) {
    console.error(`proto: ${GEN}/ is out of date with the .proto files. Run \`npm run proto\` and commit the result.`);
    console.error(problems.join('\n'));
    process.exitCode = 1;
  } else {
    console.log(`proto: ${GEN}/ is up to date (${want.length} files).`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
