import { describe, expect, it } from 'vitest';
import { createColoringRules, GrayConfigError } from '../../src/index.js';
import { createStaticRegistry, stageEnabledIn } from '../../src/routing/index.js';

describe('stageEnabledIn: the edge follows the registry', () => {
  it('stops coloring into a stage disabled for any listed service, and resumes', async () => {
    const registry = createStaticRegistry([]);
    const rules = createColoringRules([{ stage: 'canary', match: { header: 'x-user', equals: 'qa' } }], {
      isStageEnabled: stageEnabledIn(registry, ['orders', 'pricing']),
    });
    const input = { header: (name: string) => (name === 'x-user' ? 'qa' : undefined) };
    expect(rules.resolve(input)).toBe('canary');
    await registry.setStageDisabled('pricing', 'canary', true);
    expect(rules.resolve(input)).toBeUndefined();
    await registry.setStageDisabled('pricing', 'canary', false);
    expect(rules.resolve(input)).toBe('canary');
    await registry.setStageDisabled('billing', 'canary', true); // not listed: no effect
    expect(rules.resolve(input)).toBe('canary');
  });

  it('needs at least one service', () => {
    expect(() => stageEnabledIn(createStaticRegistry([]), [])).toThrow(GrayConfigError);
  });

  it('refuses a service name no registry can hold (a typo would silently never follow the registry)', () => {
    const registry = createStaticRegistry([]);
    for (const bad of ['pricing ', ' orders', 'a b', '__proto__', 'shop/Price']) {
      expect(() => stageEnabledIn(registry, ['orders', bad]), bad).toThrow(GrayConfigError);
    }
    expect(() => stageEnabledIn(registry, 'shop.Price')).not.toThrow();
  });
});
