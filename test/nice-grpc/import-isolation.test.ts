/** Importing graylane/nice-grpc loads nice-grpc-common only, never @grpc/grpc-js. */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = fileURLToPath(new URL('../../src/nice-grpc/', import.meta.url));

describe('graylane/nice-grpc imports', () => {
  it('source files import only the core, each other, nice-grpc-common and node: builtins', () => {
    const specifiers = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(dir + f, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!));
    expect(specifiers.length).toBeGreaterThan(0);
    const bad = specifiers.filter((s) => !/^(\.\/|\.\.\/core\/)[a-z-]+\.js$/.test(s) && s !== 'nice-grpc-common' && !s.startsWith('node:'));
    expect(bad).toEqual([]);
  });

  it('at runtime, importing the barrel loads no @grpc/grpc-js module and does no work', () => {
    const script = `
      import { createRequire } from 'node:module';
      const mod = await import('./src/nice-grpc/index.ts');
      const require = createRequire(import.meta.url);
      const loaded = Object.keys(require.cache);
      const slot = globalThis[Symbol.for('graylane.context-storage.v1')];
      console.log(JSON.stringify({
        exports: Object.keys(mod).sort(),
        grpc: loaded.filter((p) => p.includes('@grpc')),
        niceCommon: loaded.some((p) => p.includes('nice-grpc-common')),
        storage: slot !== undefined,
      }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    const result = JSON.parse(out.trim().split('\n').pop()!) as { exports: string[]; grpc: string[]; niceCommon: boolean; storage: boolean };
    expect(result.exports).toEqual(['forwardGrayMetadata', 'grayClientMiddleware', 'grayServerMiddleware', 'niceMetadataCarrier']);
    expect(result.niceCommon).toBe(true);
    expect(result.grpc).toEqual([]);
    expect(result.storage).toBe(false);
  });
});
