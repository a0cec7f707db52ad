import { describe, expect, it } from 'vitest';
import { runWithStage } from '../../src/core/context.js';
import { createGrayPolicy } from '../../src/core/policy.js';
import { GrayConfigError } from '../../src/core/errors.js';
import { byStage } from 'graylane';
import { byStage as deprecatedByStage, createStageLabeler } from 'graylane/observe';

describe('byStage', () => {
  const stablePool = { name: 'stable-db' };
  const canaryPool = { name: 'canary-db' };

  it('returns the current stage\'s resource, falling back to the default stage', async () => {
    const db = byStage({ stable: stablePool, canary: canaryPool });
    expect(db()).toBe(stablePool); // outside a request
    expect(runWithStage('canary', db)).toBe(canaryPool);
    expect(runWithStage('blue', db)).toBe(stablePool);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      runWithStage(i % 2 ? 'canary' : 'stable', async () => {
        await new Promise((r) => setTimeout(r, i % 5));
        return [i % 2 ? 'canary-db' : 'stable-db', db().name];
      })));
    for (const [want, got] of results) expect(got).toBe(want);
  });

  it('honours a custom default stage and rejects a table without it', () => {
    const policy = createGrayPolicy({ defaultStage: 'blue' });
    expect(byStage({ blue: 1, green: 2 }, { policy })()).toBe(1);
    expect(() => byStage({ canary: canaryPool })).toThrow(GrayConfigError);
    expect(() => byStage({ stable: 1 }, { defaultStage: 'green' })).toThrow(GrayConfigError);
    expect(() => byStage(null as never)).toThrow(GrayConfigError);
  });

  it('lives in the core (graylane); the old graylane/observe name is the same function, deprecated', () => {
    expect(deprecatedByStage).toBe(byStage);
    const db = deprecatedByStage({ stable: stablePool, canary: canaryPool });
    expect(runWithStage('canary', db)).toBe(canaryPool);
  });
});

describe('createStageLabeler', () => {
  it('maps unknown stages to other and undefined to the default', () => {
    const label = createStageLabeler();
    expect([label('stable'), label('canary'), label('blue'), label(undefined)]).toEqual(['stable', 'canary', 'other', 'stable']);
    const fromPolicy = createStageLabeler(undefined, createGrayPolicy({ stages: ['stable', 'blue'] }));
    expect([fromPolicy('blue'), fromPolicy('canary')]).toEqual(['blue', 'other']);
    expect(() => createStageLabeler(['Bad'])).toThrow(GrayConfigError);
  });
});
