import { defineConfig } from 'vitest/config';
import { graylaneAlias } from './vitest.shared.js';

// Runs the grpc-js suites against another installed grpc-js: by default the lowest supported one
// (the `grpc-js-lowest` alias, 1.10.x). `GRAYLANE_GRPC_JS_ALIAS=grpc-js-1-12 GRAYLANE_EXPECT_GRPC_JS=1.12`
// (or 1-13 / 1.13) runs them on the versions between, whose experimental balancer API differs again.
const alias = process.env.GRAYLANE_GRPC_JS_ALIAS ?? 'grpc-js-lowest';
const expected = process.env.GRAYLANE_EXPECT_GRPC_JS ?? '1.10';

export default defineConfig({
  resolve: { alias: [...graylaneAlias, { find: /^@grpc\/grpc-js$/, replacement: alias }] },
  test: {
    include: ['test/grpc-js/**/*.test.ts', 'test/e2e/chain.test.ts', 'test/e2e/mixed-chain.test.ts', 'test/routing/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { GRAYLANE_EXPECT_GRPC_JS: expected, GRAYLANE_GRPC_JS_ALIAS: alias },
  },
});
