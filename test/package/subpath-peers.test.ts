/**
 * Each public subpath loads, at import time, exactly the optional peers its row in the README's
 * install table names — read from the sources' import graph (value imports only: `import type` is
 * erased by the build; a lazy `import()` / `createRequire` is not import-time). The packed-tarball
 * test proves the same against installed peers; this one fails fast, in the normal suite.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { SUBPATH_PEERS } from './subpath-peers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; peerDependencies: Record<string, string>; dependencies?: Record<string, string> };
const dependencies = Object.keys(pkg.dependencies ?? {});
const subpaths = Object.keys(pkg.exports).filter((k) => !k.includes('*') && !k.endsWith('.json')).map((k) => (k === '.' ? 'graylane' : `graylane/${k.slice(2)}`));

/** The module specifiers `file` loads when it is evaluated: value imports and re-exports only. */
function loadTimeSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && clause.namedBindings !== undefined &&
        ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) out.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      const typeOnly = node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && node.exportClause.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push((node.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return out;
}

/** The bare packages (not `node:` built-ins) reachable at import time from `entry`, and the files walked. */
function importTimePackages(entry: string): { packages: string[]; files: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of loadTimeSpecifiers(file)) {
      if (spec.startsWith('.')) {
        const base = resolve(dirname(file), spec).replace(/\.js$/, '');
        walk(existsSync(`${base}.ts`) ? `${base}.ts` : join(base, 'index.ts'));
      } else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  };
  walk(entry);
  return { packages: [...packages].sort(), files: [...seen].map((f) => relative(ROOT, f)) };
}

/** The `needs` cell of the README install-table row of `subpath`. */
function readmeNeeds(subpath: string): string | undefined {
  const row = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').find((l) => l.startsWith(`| \`${subpath}\` |`));
  return row?.split('|').at(-2);
}

describe('each subpath loads only the peers its install-table row names', () => {
  it('every exported subpath has a row in the table of expected peers, and nothing else does', () => {
    expect(Object.keys(SUBPATH_PEERS).sort()).toEqual([...subpaths].sort());
  });

  it.each(subpaths)('%s', (subpath) => {
    const entry = subpath === 'graylane' ? join(ROOT, 'src/index.ts') : join(ROOT, 'src', subpath.slice('graylane/'.length), 'index.ts');
    const { packages } = importTimePackages(entry);
    // The package's own dependencies are installed with it; everything else must be a peer of the row.
    const peers = packages.filter((p) => !dependencies.includes(p));
    expect(peers).toEqual([...SUBPATH_PEERS[subpath]!].sort());
    // Only declared peers, and each named in the README row of this subpath.
    const needs = readmeNeeds(subpath);
    expect(needs, `README install table has no row for ${subpath}`).toBeDefined();
    for (const peer of peers) {
      expect(Object.keys(pkg.peerDependencies)).toContain(peer);
      expect(needs).toContain(`\`${peer}`);
    }
  });

  it('the walk follows re-exports and skips type-only imports', () => {
    const { files } = importTimePackages(join(ROOT, 'src/observe/index.ts'));
    expect(files).toContain('src/observe/rollback-guard.ts');
    expect(loadTimeSpecifiers(join(ROOT, 'src/observe/prom-metrics.ts'))).not.toContain('prom-client'); // `import type` only
  });
});
