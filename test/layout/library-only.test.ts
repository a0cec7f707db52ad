/**
 * The published package is library code only: nothing under src/ reaches out of src/ (into the example
 * shop, its generated code, tests or scripts), so `dist` — built from src/ — cannot carry them.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** The module specifiers a file names: static imports and re-exports, `import()` and `require()`. */
function specifiers(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

describe('src/ holds the library only', () => {
  it('there is no generated code under src/', () => {
    expect(existsSync(join(SRC, 'gen'))).toBe(false);
    expect(sources(SRC).filter((f) => f.split(sep).includes('gen')).map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('no src file imports from outside src/ (examples/, generated code, tests, scripts)', () => {
    const files = sources(SRC);
    expect(files.length).toBeGreaterThan(20);
    const escapes: string[] = [];
    for (const file of files) {
      for (const spec of specifiers(file)) {
        const relativeSpec = spec.startsWith('.');
        const target = relativeSpec ? resolve(dirname(file), spec) : undefined;
        const outside = target !== undefined && relative(SRC, target).startsWith('..');
        const named = /(^|\/)(examples|gen)(\/|$)/.test(spec);
        if (outside || named) escapes.push(`${relative(ROOT, file)} -> ${spec}`);
      }
    }
    expect(escapes).toEqual([]);
  });

  it('the scan sees dynamic imports too (the way the CLI once loaded the shop)', () => {
    expect(ts.preProcessFile("const m = await import('../../examples/shop/demo.js');", true, true).importedFiles.map((f) => f.fileName))
      .toEqual(['../../examples/shop/demo.js']);
  });
});
