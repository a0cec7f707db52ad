/**
 * graylane/connect and graylane/http load no peer at run time: Connect and Hono are used for types
 * only, so graylane/http keeps loading with no peer installed and graylane/connect needs nothing
 * beyond its (optional) peer for types.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function specifiers(dir: string): Array<{ spec: string; typeOnly: boolean }> {
  const path = fileURLToPath(new URL(`../../src/${dir}/`, import.meta.url));
  return readdirSync(path)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => [...readFileSync(path + f, 'utf8').matchAll(/^\s*(import|export)\s(type\s)?[^'"]*?from\s+'([^']+)'/gm)]
      .map((m) => ({ spec: m[3]!, typeOnly: m[2] !== undefined })));
}

/** Blocks every framework package at resolution, then imports the barrel. */
const blockingScript = (barrel: string): string => `
  import { register } from 'node:module';
  const hooks = 'export async function resolve(s, c, n) { if (/^(@connectrpc|@bufbuild|hono|@hono|@grpc|nice-grpc|fastify|express)(\\\\/|$)/.test(s)) throw new Error("loaded peer " + s); return n(s, c); }';
  register('data:text/javascript,' + encodeURIComponent(hooks));
  const mod = await import('./src/${barrel}/index.ts');
  const slot = globalThis[Symbol.for('graylane.context-storage.v1')];
  console.log(JSON.stringify({ exports: Object.keys(mod).sort(), storage: slot !== undefined }));`;

describe('peer isolation', () => {
  it.each(['connect', 'http'])('src/%s imports Connect and Hono for types only', (dir) => {
    const found = specifiers(dir);
    expect(found.length).toBeGreaterThan(0);
    const bad = found.filter(({ spec, typeOnly }) => !typeOnly && !/^(\.\/|\.\.\/core\/)[a-z-/]+\.js$/.test(spec) && !spec.startsWith('node:'));
    expect(bad).toEqual([]);
  });

  it.each([
    ['connect', ['CONNECT_HEALTH_PATHS', 'GRAY_CONTEXT_KEY', 'forwardGrayMetadata', 'getCallGrayContext', 'grayClientInterceptor', 'grayServerInterceptor', 'headersCarrier']],
    ['http', ['DEFAULT_HEALTH_PATHS', 'grayFastifyPlugin', 'grayFetchHandler', 'grayFetchInit', 'grayHonoMiddleware', 'grayHttpHandler', 'grayHttpMiddleware', 'withGrayHeaders']],
  ])('at run time graylane/%s loads with every framework package blocked and does no work', (barrel, names) => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', blockingScript(barrel)], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    const result = JSON.parse(out.trim().split('\n').pop()!) as { exports: string[]; storage: boolean };
    expect(result.exports).toEqual(names);
    expect(result.storage).toBe(false);
  });
});
