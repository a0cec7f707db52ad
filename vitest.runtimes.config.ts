import { defineConfig } from 'vitest/config';
import { graylaneAlias } from './vitest.shared.js';

// The suites scripts/test.mjs runs again on each extra Node runtime of scripts/runtimes.json (22, 24, 26):
// everything that crosses an async boundary with the AsyncLocalStorage context (from Node 24 on it is built on
// AsyncContextFrame, not async_hooks) — the core store, grpc-js and nice-grpc interceptors, the HTTP edges,
// routing, the observe feeds that read the stage, the OTel bridge, Connect and Nest, and the multi-hop chains.
// Left to the machine's node only: docs, package, CLI, bench, soak and the spawned demo/readme runs.
export default defineConfig({
  resolve: { alias: graylaneAlias },
  test: {
    include: [
      'test/core/**/*.test.ts',
      'test/grpc-js/**/*.test.ts',
      'test/nice-grpc/**/*.test.ts',
      'test/http/**/*.test.ts',
      'test/routing/**/*.test.ts',
      'test/observe/**/*.test.ts',
      'test/otel/**/*.test.ts',
      'test/connect/**/*.test.ts',
      'test/nestjs/**/*.test.ts',
      'test/e2e/chain.test.ts',
      'test/e2e/mixed-chain.test.ts',
    ],
    setupFiles: ['./scripts/expect-node.mjs'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
