/**
 * Coloring rules that take their share from a named rollout (`rollout: { rollout, header }`) through
 * the `rolloutPercent` lookup: hot, sticky as the share grows, fail-safe on bad lookups.
 */
import { describe, expect, it } from 'vitest';
import { GrayConfigError, coloringInput, createColoringRules, recordCarrier, rolloutBucket, type ColoringInput } from 'graylane';

const req = (headers: Record<string, string>): ColoringInput => coloringInput(headers, recordCarrier);
const ids = Array.from({ length: 10_000 }, (_, i) => `user-${i}-${(i * 7919) % 10007}`);

describe('named rollout rules', () => {
  it('read the share on every request: a ramp 1 → 5 → 25 → 50 → 100 colors each share within ±2 points and never moves a user back', () => {
    let percent: number | undefined = 1;
    const rules = createColoringRules([{ stage: 'canary', rollout: { rollout: 'pricing-v2', header: 'x-user-id' } }], { rolloutPercent: (name) => (name === 'pricing-v2' ? percent : undefined) });
    let previous = new Set<string>();
    for (const step of [1, 5, 25, 50, 100]) {
      percent = step;
      const canary = new Set(ids.filter((id) => rules.resolve(req({ 'x-user-id': id })) === 'canary'));
      expect(Math.abs((canary.size / ids.length) * 100 - step)).toBeLessThanOrEqual(2);
      for (const id of previous) expect(canary.has(id)).toBe(true);
      previous = canary;
    }
    expect(previous.size).toBe(ids.length);
    expect(rules.version).toBe(1); // no setRules: the share is read, not recompiled
  });

  it('uses the same bucket as a fixed-percent rule of the same stage (switching to a named rollout keeps users where they were)', () => {
    const named = createColoringRules([{ stage: 'canary', rollout: { rollout: 'r', header: 'x-user-id' } }], { rolloutPercent: () => 10 });
    const fixed = createColoringRules([{ stage: 'canary', rollout: { percent: 10, header: 'x-user-id' } }]);
    for (const id of ids.slice(0, 2000)) expect(named.resolve(req({ 'x-user-id': id }))).toBe(fixed.resolve(req({ 'x-user-id': id })));
    expect(ids.slice(0, 2000).filter((id) => rolloutBucket('canary', id) < 1000).length).toBe(ids.slice(0, 2000).filter((id) => fixed.resolve(req({ 'x-user-id': id })) === 'canary').length);
  });

  it.each([
    ['unknown rollout', undefined],
    ['NaN', Number.NaN],
    ['negative', -5],
    ['above 100', 150],
    ['a string', '50' as unknown as number],
  ])('a lookup answer that is not a share (%s) colors nobody, and never throws', (_label, answer) => {
    const rules = createColoringRules([{ stage: 'canary', rollout: { rollout: 'r', header: 'x-user-id' } }], { rolloutPercent: () => answer });
    expect(ids.slice(0, 500).filter((id) => rules.resolve(req({ 'x-user-id': id })) === 'canary')).toEqual([]);
  });

  it('a throwing lookup colors nobody and does not break the request path', () => {
    const rules = createColoringRules([
      { stage: 'canary', rollout: { rollout: 'r', header: 'x-user-id' } },
      { stage: 'blue', match: { header: 'x-user-id' } },
    ], { rolloutPercent: () => { throw new Error('registry gone'); } });
    expect(rules.resolve(req({ 'x-user-id': 'u1' }))).toBe('blue');
  });

  it.each([
    ['both percent and rollout', { percent: 5, rollout: 'r', header: 'x-user-id' }, /exactly one of percent .* and rollout/],
    ['neither', { header: 'x-user-id' }, /exactly one of percent .* and rollout/],
    ['a bad name', { rollout: '../x', header: 'x-user-id' }, /rollout.rollout "..\/x" is not a valid rollout name/],
    ['a prototype name', { rollout: 12, header: 'x-user-id' }, /is not a valid rollout name/],
  ])('refuses a named rollout with %s, saying what to fix', (_label, rollout, message) => {
    expect(() => createColoringRules([{ stage: 'canary', rollout: rollout as never }], { rolloutPercent: () => 1 })).toThrow(message);
  });

  it('refuses a named rollout without a rolloutPercent lookup, and a lookup that is not a function', () => {
    expect(() => createColoringRules([{ stage: 'canary', rollout: { rollout: 'r', header: 'x-user-id' } }])).toThrow(GrayConfigError);
    expect(() => createColoringRules([{ stage: 'canary', rollout: { rollout: 'r', header: 'x-user-id' } }])).toThrow(/pass createColoringRules\(rules, \{ rolloutPercent \}\)/);
    expect(() => createColoringRules([], { rolloutPercent: 5 as never })).toThrow(/rolloutPercent must be a function/);
  });
});
