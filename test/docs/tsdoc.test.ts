/**
 * Every public export of every subpath carries TSDoc: the compiler's own view of the entry points
 * (aliases resolved to their declarations), so a new export without documentation fails here.
 */
import ts from 'typescript';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRIES = ['index', 'grpc-js/index', 'nice-grpc/index', 'http/index', 'routing/index', 'observe/index', 'observe/nice-grpc/index', 'otel/index', 'ops/index', 'openfeature/index'];

describe('TSDoc on every export', () => {
  const configPath = ts.findConfigFile(ROOT, ts.sys.fileExists, 'tsconfig.json')!;
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, ROOT);
  const files = ENTRIES.map((e) => `${ROOT}src/${e}.ts`);
  const program = ts.createProgram(files, parsed.options);
  const checker = program.getTypeChecker();

  it.each(ENTRIES)('src/%s.ts', (entry) => {
    const source = program.getSourceFile(`${ROOT}src/${entry}.ts`)!;
    const moduleSymbol = checker.getSymbolAtLocation(source)!;
    const exports = checker.getExportsOfModule(moduleSymbol);
    expect(exports.length).toBeGreaterThan(0);
    const undocumented = exports
      .map((s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s))
      .filter((s) => ts.displayPartsToString(s.getDocumentationComment(checker)).trim() === '')
      .map((s) => s.getName());
    expect(undocumented).toEqual([]);
  });

  it.each(ENTRIES)('src/%s.ts: every member of an exported interface or class', (entry) => {
    const source = program.getSourceFile(`${ROOT}src/${entry}.ts`)!;
    const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!)
      .map((s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s))
      .filter((s) => s.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class));
    const undocumented: string[] = [];
    for (const s of exports) {
      for (const member of checker.getDeclaredTypeOfSymbol(s).getProperties()) {
        // Members inherited from other packages (e.g. an EventEmitter) are theirs to document.
        const fromHere = member.declarations?.some((d) => !d.getSourceFile().fileName.includes('node_modules')) ?? false;
        const hidden = member.declarations?.some((d) => ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) ?? false;
        if (hidden) continue;
        if (fromHere && ts.displayPartsToString(member.getDocumentationComment(checker)).trim() === '') undocumented.push(`${s.getName()}.${member.getName()}`);
      }
    }
    expect(undocumented).toEqual([]);
  });
});
