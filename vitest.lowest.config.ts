import { defineConfig } from 'vitest/config';

// Runs the grpc-js suites against the lowest supported grpc-js (installed as the `grpc-js-lowest` alias).
export default defineConfig({
  resolve: { alias: { '@grpc/grpc-js': 'grpc-js-lowest' } },
  test: {
    include: ['test/grpc-js/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    env: { GRAYLANE_EXPECT_GRPC_JS: '1.10' },
  },
});
