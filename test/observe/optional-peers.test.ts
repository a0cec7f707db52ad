import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Imports `entry` in a fresh Node process and lists which optional peers got loaded. */
function loadedPeers(script: string): string[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
    import { createRequire } from 'node:module';
    ${script}
    const cache = Object.keys(createRequire(import.meta.url).cache);
    const peers = ['prom-client', 'pino', '@opentelemetry', '@grpc/grpc-js', 'nice-grpc-common'].filter((p) => cache.some((k) => k.includes('/node_modules/' + p + '/')));
    console.log(JSON.stringify(peers));
  `], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  return JSON.parse(out.trim().split('\n').pop()!) as string[];
}

describe('optional peers', () => {
  it('importing graylane/observe loads no optional peer — no gRPC framework either; building a metrics middleware loads prom-client only', () => {
    expect(loadedPeers(`await import('./src/observe/index.ts');`)).toEqual([]);
    expect(loadedPeers(`await import('./src/observe/http/index.ts');`)).toEqual([]);
    expect(loadedPeers(`
      const o = await import('./src/observe/index.ts');
      const fields = o.grayLogFields(); const guard = o.createRollbackGuard({ registry: { setStageDisabled: async () => {} }, service: 's' });
    `)).toEqual([]);
    // (prom-client itself loads @opentelemetry/api for exemplars when it is installed.)
    const withMetrics = loadedPeers(`
      const o = await import('./src/observe/http/index.ts');
      const before = Object.keys((await import('node:module')).createRequire(import.meta.url).cache).some((k) => k.includes('/prom-client/'));
      if (before) throw new Error('prom-client loaded too early');
      const { Registry } = (await import('prom-client')).default;
      o.grayHttpMetricsMiddleware({ registry: new Registry() });
    `);
    expect(withMetrics).toContain('prom-client');
    expect(withMetrics).not.toContain('pino');
    expect(withMetrics).not.toContain('@grpc/grpc-js');
  }, 60_000);

  it('graylane/observe/grpc-js loads @grpc/grpc-js and nothing else until a metrics interceptor is built', () => {
    expect(loadedPeers(`await import('./src/observe/grpc-js/index.ts');`)).toEqual(['@grpc/grpc-js']);
  }, 60_000);
});
