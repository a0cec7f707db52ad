import { defineConfig } from 'vitest/config';
import { graylaneAlias } from './vitest.shared.js';

// Runs the grpc-js suites against the lowest supported grpc-js (installed as the `grpc-js-lowest` alias).
export default defineConfig({
  resolve: { alias: [...graylaneAlias, { find: /^@grpc\/grpc-js$/, replacement: 'grpc-js-lowest' }] },
  test: {
    include: ['test/grpc-js/**/*.test.ts', 'test/e2e/chain.test.ts', 'test/e2e/mixed-chain.test.ts', 'test/routing/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { GRAYLANE_EXPECT_GRPC_JS: '1.10' },
  },
});
