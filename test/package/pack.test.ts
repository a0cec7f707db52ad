/**
 * The package as published: `npm pack`, install the tarball into an empty project next to only its
 * peers (@grpc/grpc-js, @grpc/proto-loader), and run consumers that use the public names only.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
let dir: string;

describe('published tarball', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'graylane-pack-'));
    await exec('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: repo, timeout: 120_000 });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${tarball}`, '@grpc/grpc-js@^1.14', '@grpc/proto-loader@^0.8'], { cwd: dir, timeout: 180_000 });
    cpSync(join(import.meta.dirname, 'consumer'), dir, { recursive: true });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a 3-hop chain over all four call types loses no tag', async () => {
    const { stdout } = await exec('node', ['chain.mjs'], { cwd: dir, timeout: 60_000 });
    const { checked, bad } = JSON.parse(stdout) as { checked: number; bad: number };
    expect(bad).toBe(0);
    // Records per call: unary 1+2+2, server stream 1+2+2, client stream 2+3+3, bidi 2+2+2.
    expect(checked).toBe(50 * (5 + 5 + 8 + 6));
  });

  it('ESM and CommonJS copies share one context store and the GrayConfigError brand', async () => {
    const { stdout } = await exec('node', ['dual.mjs'], { cwd: dir, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({
      seen: 'canary', brand: true, md: { 'x-release-stage': 'canary' }, esmPolicy: 'function', cjsInterceptor: 'function',
    });
  });

  it('type-checks a strict TypeScript consumer against the shipped declarations', async () => {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: true, typeRoots: [join(repo, 'node_modules/@types')], types: ['node'] },
      files: ['consumer.ts'],
    }));
    await expect(exec('node', [join(repo, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: dir, timeout: 60_000 })).resolves.toBeDefined();
  });

  it('subpaths load with only their peers installed; graylane/routing does not load etcd3 until asked', async () => {
    const { stdout } = await exec('node', ['subpaths.mjs'], { cwd: dir, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({
      etcd3: 'not installed',
      result: {
        graylane: 'ok', 'graylane/grpc-js': 'ok', 'graylane/http': 'ok', 'graylane/routing': 'ok', 'graylane/observe': 'ok',
        // Their framework is an optional peer the user installs: a clear module-not-found, not a crash at import of others.
        'graylane/nice-grpc': 'ERR_MODULE_NOT_FOUND', 'graylane/observe/nice-grpc': 'ERR_MODULE_NOT_FOUND', 'graylane/otel': 'ERR_MODULE_NOT_FOUND',
      },
    });
  });

  it('installs the graylane command', async () => {
    const { stdout } = await exec(join(dir, 'node_modules/.bin/graylane'), ['help'], { cwd: dir, timeout: 30_000 });
    expect(stdout).toContain('graylane trace <host:port> --method');
    expect(stdout).not.toContain('graylane demo');
  });

  it('graylane demo is not shipped: one line points at `npm run demo` in the repository, exit 2', async () => {
    const failed = await exec(join(dir, 'node_modules/.bin/graylane'), ['demo'], { cwd: dir, timeout: 30_000 })
      .then(() => undefined, (e: { code: number; stdout: string; stderr: string }) => e);
    expect(failed?.code).toBe(2);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^graylane demo: .*repository.*`npm run demo`/)]);
  });

  it('graylane trace from the installed package follows a live call hop by hop', async () => {
    const { stdout } = await exec('node', ['trace.mjs'], { cwd: dir, timeout: 60_000 });
    const result = JSON.parse(stdout) as { code: number; stdout: string };
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  hop (hop-1) stage=canary\n');
    expect(result.stdout).toContain('path: 1 hops, stage canary at every hop');
  });

  // Last: it installs more packages, which the isolation checks above must not see.
  it('with nice-grpc installed, graylane/observe/nice-grpc loads (ESM and CJS) with every documented name', async () => {
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', 'nice-grpc@^2.1'], { cwd: dir, timeout: 180_000 });
    const names = ['grayClientMetricsMiddleware', 'grayHopTraceClientMiddleware', 'grayHopTraceServerMiddleware', 'grayServerMetricsMiddleware', 'rollbackGuardClientMiddleware'];
    const esm = await exec('node', ['--input-type=module', '-e', "const m = await import('graylane/observe/nice-grpc'); console.log(JSON.stringify(Object.keys(m).sort()))"], { cwd: dir, timeout: 30_000 });
    const cjs = await exec('node', ['-e', "console.log(JSON.stringify(Object.keys(require('graylane/observe/nice-grpc')).sort()))"], { cwd: dir, timeout: 30_000 });
    expect(JSON.parse(esm.stdout)).toEqual(names);
    expect(JSON.parse(cjs.stdout)).toEqual(names);
  }, 300_000);

  it('ships no tests, sources or example code, only dist, the hop proto and docs', async () => {
    const { stdout } = await exec('tar', ['-tzf', readdirSync(dir).find((f) => f.endsWith('.tgz'))!], { cwd: dir });
    const files = stdout.trim().split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/grpc-js/index.cjs');
    expect(files).toContain('package/dist/cli/index.js');
    expect(files).toContain('package/protos/graylane/hop/v1/hop.proto');
    expect(files).toContain('package/LICENSE');
    expect(files.filter((f) => /^package\/(test|src|examples)\//.test(f))).toEqual([]);
    // The example shop (its protos, its generated code, the demo chunk the CLI once bundled) stays in the repository.
    expect(files.filter((f) => f.startsWith('package/protos/') && f !== 'package/protos/graylane/hop/v1/hop.proto')).toEqual([]);
    expect(files.filter((f) => /^package\/dist\/demo-/.test(f))).toEqual([]);
  });

  it('dist carries library code only: no example shop, no import of nice-grpc or @bufbuild/protobuf outside the nice-grpc subpaths', async () => {
    const pkg = join(dir, 'node_modules/graylane/dist');
    const js = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? js(join(d, e.name)) : /\.(c?js)$/.test(e.name) ? [join(d, e.name)] : []);
    const offenders = js(pkg).filter((f) => {
      const code = readFileSync(f, 'utf8');
      const niceAllowed = /[\\/]nice-grpc[\\/]index\.c?js$/.test(f);
      return /graylane\.shop\.v1\.(Orders|Inventory|Pricing)"|@bufbuild\/protobuf/.test(code) || (!niceAllowed && /["']nice-grpc["']/.test(code));
    }).map((f) => f.slice(pkg.length + 1));
    expect(offenders).toEqual([]);
  });
});
