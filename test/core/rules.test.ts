import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GrayConfigError,
  coloringInput,
  createColoringRules,
  createGrayPolicy,
  recordCarrier,
  rolloutBucket,
  type ColoringInput,
  type ColoringRule,
} from '../../src/index.js';

/** A request as rules see it, from plain headers and a URL. */
function req(headers: Record<string, string> = {}, url?: string): ColoringInput {
  return coloringInput(headers, recordCarrier, url);
}

describe('createColoringRules: matching', () => {
  it('first matching rule wins; no match gives undefined', () => {
    const rules = createColoringRules([
      { stage: 'blue', match: { header: 'x-user-group', equals: 'qa' } },
      { stage: 'canary', match: { header: 'x-user-group', oneOf: ['qa', 'staff'] } },
    ]);
    expect(rules.resolve(req({ 'x-user-group': 'qa' }))).toBe('blue');
    expect(rules.resolve(req({ 'x-user-group': 'staff' }))).toBe('canary');
    expect(rules.resolve(req({ 'x-user-group': 'other' }))).toBeUndefined();
    expect(rules.resolve(req())).toBeUndefined();
  });

  it('header names are case-insensitive in rules and in requests; values respect ignoreCase', () => {
    const rules = createColoringRules([
      { stage: 'canary', match: { header: 'X-Client-Version', regex: '^2\\.' } },
      { stage: 'blue', match: { header: 'x-tier', equals: 'GOLD', ignoreCase: true } },
    ]);
    expect(rules.resolve(req({ 'X-CLIENT-VERSION': '2.1.0' }))).toBe('canary');
    expect(rules.resolve(req({ 'x-client-version': '1.9.0' }))).toBeUndefined();
    expect(rules.resolve(req({ 'x-tier': 'gold' }))).toBe('blue');
  });

  it('matches cookies, path prefixes and query parameters; all conditions of a rule must hold', () => {
    const rules = createColoringRules([
      { stage: 'canary', match: [{ pathPrefix: '/api/v2/' }, { cookie: 'beta', equals: '1' }] },
      { stage: 'blue', match: { query: 'lane', equals: 'blue' } },
      { stage: 'green', match: { cookie: 'name' } },
    ]);
    expect(rules.resolve(req({ cookie: 'a=b; beta=1' }, '/api/v2/orders?x=1'))).toBe('canary');
    expect(rules.resolve(req({ cookie: 'beta=1' }, '/api/v1/orders'))).toBeUndefined();
    expect(rules.resolve(req({}, '/api/v2/orders'))).toBeUndefined();
    expect(rules.resolve(req({}, '/x?lane=blue&y=2'))).toBe('blue');
    expect(rules.resolve(req({}, '/x?lane=green'))).toBeUndefined();
    expect(rules.resolve(req({ cookie: 'name=%E4%BD%A0' }, '/'))).toBe('green');
  });

  it('values longer than the match limit never match', () => {
    const rules = createColoringRules([{ stage: 'canary', match: { header: 'x-a', regex: 'a+$' } }]);
    expect(rules.resolve(req({ 'x-a': 'a'.repeat(10) }))).toBe('canary');
    expect(rules.resolve(req({ 'x-a': 'a'.repeat(5000) }))).toBeUndefined();
  });

  it('isStageEnabled skips rules whose stage is disabled (and a throwing guard counts as disabled)', () => {
    let canaryOn = true;
    const rules = createColoringRules(
      [{ stage: 'canary', match: { header: 'x-g', equals: 'qa' } }, { stage: 'blue', match: { header: 'x-g' } }],
      { isStageEnabled: (s) => (s === 'canary' ? canaryOn : s === 'blue' ? true : (() => { throw new Error('x'); })()) },
    );
    expect(rules.resolve(req({ 'x-g': 'qa' }))).toBe('canary');
    canaryOn = false;
    expect(rules.resolve(req({ 'x-g': 'qa' }))).toBe('blue');
    const broken = createColoringRules([{ stage: 'canary' }], { isStageEnabled: () => { throw new Error('down'); } });
    expect(broken.resolve(req())).toBeUndefined();
  });

  it('resolve never throws, even when input accessors throw', () => {
    const rules = createColoringRules([{ stage: 'canary', match: { header: 'x-a' } }]);
    const bad: ColoringInput = { header: () => { throw new Error('boom'); } };
    expect(rules.resolve(bad)).toBeUndefined();
  });
});

describe('createColoringRules: hot swap', () => {
  it('setRules takes effect on the next resolve; bad rules throw and keep the old set', () => {
    const rules = createColoringRules([{ stage: 'canary', match: { header: 'x-g', equals: 'qa' } }]);
    expect(rules.version).toBe(1);
    rules.setRules([{ stage: 'blue', match: { header: 'x-g', equals: 'qa' } }]);
    expect(rules.resolve(req({ 'x-g': 'qa' }))).toBe('blue');
    expect(rules.version).toBe(2);
    expect(() => rules.setRules([{ stage: 'canary' }, { stage: 'Bad Stage' }])).toThrow(GrayConfigError);
    expect(rules.resolve(req({ 'x-g': 'qa' }))).toBe('blue');
    expect(rules.version).toBe(2);
    expect(rules.rules).toEqual([{ stage: 'blue', match: { header: 'x-g', equals: 'qa' } }]);
  });

  it('copies the rules: mutating the caller array later changes nothing', () => {
    const source: ColoringRule[] = [{ stage: 'canary', match: { header: 'x-g', equals: 'qa' } }];
    const rules = createColoringRules(source);
    (source[0] as { stage: string }).stage = 'blue';
    source.push({ stage: 'green' });
    expect(rules.resolve(req({ 'x-g': 'qa' }))).toBe('canary');
    expect(rules.resolve(req())).toBeUndefined();
  });
});

describe('createColoringRules: validation', () => {
  const bad: [string, unknown, RegExp][] = [
    ['not an array', { stage: 'canary' }, /must be an array/],
    ['rule not an object', ['canary'], /rule #0: must be an object/],
    ['invalid stage', [{ stage: 'Canary!' }], /rule #0: stage "Canary!" is not a valid stage/],
    ['missing stage', [{ match: { header: 'x-a' } }], /rule #0: stage undefined/],
    ['unknown rule field', [{ stage: 'canary', mach: {} }], /rule #0: the rule has unknown field "mach"/],
    ['two sources', [{ stage: 'canary', match: { header: 'x-a', cookie: 'b' } }], /exactly one of header, cookie, query/],
    ['no source', [{ stage: 'canary', match: { equals: 'x' } }], /exactly one of header, cookie, query/],
    ['two tests', [{ stage: 'canary', match: { header: 'x-a', equals: 'a', regex: 'a' } }], /at most one of equals, oneOf, regex/],
    ['bad regex', [{ stage: 'canary', match: { header: 'x-a', regex: '(' } }], /regex "\(" does not compile/],
    ['empty oneOf', [{ stage: 'canary', match: { header: 'x-a', oneOf: [] } }], /oneOf must be a non-empty array/],
    ['bad header name', [{ stage: 'canary', match: { header: 'x a' } }], /not a valid header name/],
    ['bad path prefix', [{ stage: 'canary', match: { pathPrefix: 'api' } }], /pathPrefix must be a string starting with '\/'/],
    ['percent too high', [{ stage: 'canary', rollout: { percent: 101, header: 'x-user-id' } }], /rollout.percent must be a number from 0 to 100/],
    ['percent NaN', [{ stage: 'canary', rollout: { percent: Number.NaN, header: 'x-user-id' } }], /rollout.percent/],
    ['rollout without key', [{ stage: 'canary', rollout: { percent: 5 } }], /rollout must name exactly one of header, cookie/],
    ['rollout by query', [{ stage: 'canary', rollout: { percent: 5, query: 'u' } }], /rollout has unknown field "query"/],
  ];
  it.each(bad)('%s → GrayConfigError', (_label, rules, message) => {
    expect(() => createColoringRules(rules as ColoringRule[])).toThrow(GrayConfigError);
    expect(() => createColoringRules(rules as ColoringRule[])).toThrow(message);
  });

  it('names the index and name of the faulty rule', () => {
    const rules = [{ stage: 'canary' }, { name: 'beta users', stage: 'canary', match: { cookie: '' } }];
    expect(() => createColoringRules(rules)).toThrow(/coloring rule #1 \("beta users"\): match cookie must be a non-empty string/);
  });

  it('checks rule stages against the policy allowlist', () => {
    const policy = createGrayPolicy({ stages: ['stable', 'canary'] });
    expect(() => createColoringRules([{ stage: 'blue' }], { policy })).toThrow(/stage 'blue' is not in the policy's stages \[stable, canary\]/);
    expect(createColoringRules([{ stage: 'canary' }], { policy }).resolve(req())).toBe('canary');
  });

  it('rejects a non-function isStageEnabled', () => {
    expect(() => createColoringRules([], { isStageEnabled: true as unknown as () => boolean })).toThrow(GrayConfigError);
  });
});

describe('percentage rollout', () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `user-${i}-${(i * 7919) % 10007}`);
  const share = (percent: number): number => {
    const rules = createColoringRules([{ stage: 'canary', rollout: { percent, header: 'x-user-id' } }]);
    return ids.filter((id) => rules.resolve(req({ 'x-user-id': id })) === 'canary').length / ids.length;
  };

  it.each([1, 5, 10, 25, 50, 90])('%d%% of 10,000 distinct users lands in the canary within ±2 points', (percent) => {
    expect(Math.abs(share(percent) * 100 - percent)).toBeLessThanOrEqual(2);
  });

  it('0% colors nobody and 100% colors every user who has the key; no key, no match', () => {
    expect(share(0)).toBe(0);
    expect(share(100)).toBe(1);
    const rules = createColoringRules([{ stage: 'canary', rollout: { percent: 100, cookie: 'uid' } }]);
    expect(rules.resolve(req())).toBeUndefined();
    expect(rules.resolve(req({ cookie: 'uid=42' }))).toBe('canary');
  });

  it('a user is stable across repeats, and raising the percentage (hot swap) never moves anyone out', () => {
    fc.assert(
      // Percentages in 0.01 steps (fc.double would cluster near 0).
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100), fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100), (id, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const rules = createColoringRules([{ stage: 'canary', rollout: { percent: low, header: 'x-user-id' } }]);
        const input = req({ 'x-user-id': id });
        const before = rules.resolve(input);
        expect(rules.resolve(input)).toBe(before);
        rules.setRules([{ stage: 'canary', rollout: { percent: high, header: 'x-user-id' } }]);
        if (before === 'canary') expect(rules.resolve(input)).toBe('canary');
      }),
      { numRuns: 500 },
    );
  });

  it('over 10,000 users, each raise of the percentage keeps everyone who was already in', () => {
    const rules = createColoringRules([]);
    let previous = new Set<string>();
    for (const percent of [0.5, 1, 5, 10, 25, 50, 75, 99.99, 100]) {
      rules.setRules([{ stage: 'canary', rollout: { percent, header: 'x-user-id' } }]);
      const now = new Set(ids.filter((id) => rules.resolve(req({ 'x-user-id': id })) === 'canary'));
      for (const id of previous) expect(now.has(id)).toBe(true);
      expect(now.size).toBeGreaterThanOrEqual(previous.size);
      previous = now;
    }
    expect(previous.size).toBe(ids.length);
  });

  it('the bucket is a pure function of salt and key, and the salt reshuffles', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (salt, key) => {
      const b = rolloutBucket(salt, key);
      expect(b).toBe(rolloutBucket(salt, key));
      expect(Number.isInteger(b) && b >= 0 && b < 10_000).toBe(true);
    }), { numRuns: 300 });
    const differ = ids.slice(0, 1000).filter((id) => rolloutBucket('a', id) !== rolloutBucket('b', id)).length;
    expect(differ).toBeGreaterThan(900);
  });
});
