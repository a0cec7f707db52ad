/** The root barrel exports what users call, not the adapters' internals (issue 13: a surface that says what it means). */
import { describe, expect, it } from 'vitest';
import * as root from 'graylane';

describe('graylane (root) public surface', () => {
  it('does not export the edge internals', () => {
    for (const name of ['colorContext', 'policyWithTrust', 'GRPC_HEALTH_PREFIX']) expect(Object.keys(root)).not.toContain(name);
  });

  it('exports the documented rule helpers', () => {
    for (const name of ['createColoringRules', 'coloringResolver', 'coloringInput', 'normalizePath', 'rolloutBucket']) expect(typeof (root as Record<string, unknown>)[name]).toBe('function');
  });
});
