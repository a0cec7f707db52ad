/**
 * What the bench measures is the built package: this module makes sure dist/ is current (runs
 * `npm run build` when it is missing or older than any source), then compiles the bench's own
 * modules to plain JavaScript in bench/.out/. There they run under plain `node`, and `graylane`
 * resolves to dist/ through the package's self-reference (its name and `exports`), as in an app.
 * @packageDocumentation
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { REPO_ROOT } from './procs.js';

/** The compiled bench and the package it measures. */
export interface BuiltBench {
  /** Folder of the compiled bench modules (`<repo>/bench/.out`). */
  readonly outDir: string;
  /** graylane's dist/ folder. */
  readonly distDir: string;
  /** `file://` URL of dist/ with a trailing `/`: every graylane frame in a profile starts with it. */
  readonly distUrlPrefix: string;
  /** `true` when this call ran `npm run build`. */
  readonly rebuilt: boolean;
  /** When dist/index.js was written (ISO). */
  readonly builtAt: string;
}

/** Newest modification time (ms) of the files under `path`. */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const d of readdirSync(path)) max = Math.max(max, newest(join(path, d)));
  return max;
}

/** Why dist/ must be rebuilt, or `undefined` when it is current. */
export function distStaleness(root = REPO_ROOT): string | undefined {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const entries = Object.values(pkg.exports)
    .map((e) => (typeof e === 'object' && e !== null ? (e as { import?: { default?: string } }).import?.default : undefined))
    .filter((e): e is string => typeof e === 'string');
  const missing = entries.find((e) => !existsSync(join(root, e)));
  if (missing !== undefined) return `${missing} is missing`;
  const built = Math.min(...entries.map((e) => statSync(join(root, e)).mtimeMs));
  const source = Math.max(newest(join(root, 'src')), ...['package.json', 'tsup.config.ts', 'tsconfig.json'].map((f) => newest(join(root, f))));
  return source > built ? 'src/ changed since the last build' : undefined;
}

/** Every `.ts` file directly in bench/ to `<out>/<name>.js` (TypeScript's transpiler; no type check, no bundling). */
function compileBench(outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const benchDir = join(REPO_ROOT, 'bench');
  for (const name of readdirSync(benchDir).filter((n) => n.endsWith('.ts'))) {
    const source = readFileSync(join(benchDir, name), 'utf8');
    const out = ts.transpileModule(source, {
      fileName: name,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
    });
    writeFileSync(join(outDir, name.replace(/\.ts$/, '.js')), out.outputText);
  }
}

/** Builds dist/ if needed (`npm run build`) and compiles the bench. */
export function prepareBuild(log: (msg: string) => void): BuiltBench {
  const distDir = join(REPO_ROOT, 'dist');
  const stale = distStaleness();
  if (stale !== undefined) {
    log(`building graylane (${stale}): npm run build…`);
    const res = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
    if (res.status !== 0) {
      const tail = `${res.stdout ?? ''}\n${res.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
      throw new Error(`npm run build failed (exit ${res.status ?? res.error?.message}):\n${tail}`);
    }
  }
  const outDir = join(REPO_ROOT, 'bench', '.out');
  compileBench(outDir);
  return {
    outDir,
    distDir,
    distUrlPrefix: `${pathToFileURL(distDir).href}/`,
    rebuilt: stale !== undefined,
    builtAt: new Date(statSync(join(distDir, 'index.js')).mtimeMs).toISOString(),
  };
}
