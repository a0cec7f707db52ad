import { defineConfig } from 'vitest/config';
import { graylaneAlias } from './vitest.shared.js';

export default defineConfig({
  resolve: { alias: graylaneAlias },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
