/**
 * Every fuzz property of soak/fuzz-properties.ts with a few hundred runs and a fixed seed (the
 * soak's full run uses 100,000 runs and a fresh seed). A failure prints fast-check's counterexample.
 */
import { afterAll, describe, it } from 'vitest';
import { fuzzProperties } from '../../soak/fuzz-properties.js';

const RUNS = 300;
const SEED = 42;
const { properties, dispose } = fuzzProperties();

describe('fuzz (short)', () => {
  afterAll(() => dispose());
  for (const p of properties) {
    it(p.name, async () => {
      await p.check(RUNS, SEED);
    });
  }
});
