/**
 * Coloring-rule regexes run on client input: a pattern is either refused when the rules are built
 * or evaluated in linear time, so no header can stall the event loop.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrayConfigError, coloringInput, createColoringRules, recordCarrier, type ColoringRules } from '../../src/index.js';

/** Patterns that take exponential or high-polynomial time in a backtracking engine. */
const HOSTILE = [
  '(a+)+$',
  '^(a|aa)+$',
  '^(a|a)*$',
  '(x+x+)+y',
  '^(\\w+\\s?)*$',
  'a*a*a*a*a*a*b',
  '(.*a){12}$',
  '^(([a-z])+.)+[A-Z]([a-z])+$',
  '[ab]*a[ab]{20}x',
  '(?:(?:a|b)*a(?:a|b){15}){8}x',
];

/** Inputs crafted to force backtracking, plus random text over the patterns' alphabets. */
function crafted(n: number): string[] {
  return ['a'.repeat(n) + '!', 'x'.repeat(n), 'a '.repeat(Math.ceil(n / 2)) + '!', 'ab'.repeat(Math.ceil(n / 2)) + 'c'];
}

/** Resolves each value once and returns the elapsed milliseconds (stops early once past `budget`). */
function timeResolves(rules: ColoringRules, values: readonly string[], budget = Infinity): number {
  const start = performance.now();
  for (const value of values) {
    rules.resolve(coloringInput({ 'x-a': value }, recordCarrier));
    if (performance.now() - start > budget) break;
  }
  return performance.now() - start;
}

/** A rule set for `pattern`, or `undefined` when it is refused (with a GrayConfigError saying why). */
function build(pattern: string, ignoreCase = false): ColoringRules | undefined {
  try {
    return createColoringRules([{ stage: 'canary', match: { header: 'x-a', regex: pattern, ignoreCase } }]);
  } catch (err) {
    expect(err).toBeInstanceOf(GrayConfigError);
    expect((err as Error).message).toMatch(/regex/);
    return undefined;
  }
}

describe('coloring-rule regexes: no super-linear matching on client input', () => {
  it('hostile patterns are refused or resolve 1,000 crafted requests in well under a second', () => {
    for (const pattern of HOSTILE) {
      const rules = build(pattern);
      if (rules === undefined) continue;
      // Growing inputs (8 to 4,096 characters): a backtracking engine's cost doubles per character,
      // so it runs past the budget within a few seconds (the loop stops at the budget).
      const values: string[] = [];
      for (let n = 8; values.length < 1000; n = n < 64 ? n + 1 : n * 2 > 4096 ? 8 : n * 2) values.push(...crafted(n));
      const ms = timeResolves(rules, values.slice(0, 1000), 1000);
      expect(ms, `1,000 resolves with ${pattern}`).toBeLessThan(1000);
    }
  });

  it('property: any accepted pattern built from nested quantifiers resolves random 4 KB inputs fast', () => {
    const atom = fc.constantFrom('a', 'b', '.', '\\w', '\\s', '[ab]', 'x');
    const quant = fc.constantFrom('*', '+', '?', '{2,5}', '');
    const pattern = fc.letrec<{ expr: string; group: string }>((tie) => ({
      expr: fc.array(fc.oneof({ depthSize: 'small' }, fc.tuple(atom, quant).map(([a, q]) => a + q), tie('group')), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')),
      group: fc.tuple(tie('expr'), tie('expr'), fc.constantFrom('*', '+', '{3}')).map(([l, r, q]) => `(?:${l}|${r})${q}`),
    })).expr.map((p) => `^${p}$`);
    const input = fc.tuple(fc.constantFrom('a', 'ab', 'a b', 'abx'), fc.integer({ min: 1000, max: 4096 })).map(([alphabet, n]) => {
      let s = '';
      for (let i = 0; s.length < n; i++) s += alphabet[(i * 7 + (i >> 3)) % alphabet.length];
      return s.slice(0, n - 1) + '!';
    });
    let resolves = 0;
    let total = 0;
    fc.assert(fc.property(pattern, fc.array(input, { minLength: 5, maxLength: 5 }), fc.boolean(), (source, values, ignoreCase) => {
      const rules = build(source, ignoreCase);
      if (rules === undefined) return;
      timeResolves(rules, values.slice(0, 1)); // warm the engine's caches for this pattern
      total += timeResolves(rules, values);
      resolves += values.length;
    }), { numRuns: 300 });
    expect(resolves).toBeGreaterThan(300); // most generated patterns are accepted
    // Generous: ~1 ms per 4 KB resolve on a busy two-core box; a backtracking engine blows this by minutes.
    expect(total / resolves).toBeLessThan(1);
  });

  it('refuses what a linear-time engine cannot run, saying why', () => {
    const refused: [string, RegExp][] = [
      ['(a)\\1', /not supported by the linear-time regex engine/],
      ['(?=a)b', /not supported by the linear-time regex engine/],
      ['(?<!a)b', /not supported by the linear-time regex engine/],
      ['(.*a){700}', /too complex/],
    ];
    for (const [pattern, why] of refused) {
      const make = (): ColoringRules => createColoringRules([{ name: 'r', stage: 'canary', match: { header: 'x-a', regex: pattern } }]);
      expect(make).toThrow(GrayConfigError);
      expect(make).toThrow(why);
    }
    const rules = createColoringRules([]);
    expect(() => rules.setRules([{ stage: 'canary', match: { header: 'x-a', regex: '(a)\\1' } }])).toThrow(GrayConfigError);
    expect(rules.version).toBe(1);
  });

  it('ordinary patterns keep their JavaScript meaning', () => {
    const rules = createColoringRules([
      { stage: 'canary', match: { header: 'x-app-version', regex: '^2\\.\\d+' } },
      { stage: 'blue', match: { header: 'x-user', regex: '^(?<team>qa|staff)-\\w+$', ignoreCase: true } },
      { stage: 'green', match: { header: 'x-path', regex: '^/api/v\\d/' } },
    ]);
    const r = (h: Record<string, string>): string | undefined => rules.resolve(coloringInput(h, recordCarrier));
    expect(r({ 'x-app-version': '2.10.1' })).toBe('canary');
    expect(r({ 'x-app-version': '12.1' })).toBeUndefined();
    expect(r({ 'x-user': 'QA-alice' })).toBe('blue');
    expect(r({ 'x-user': 'qa alice' })).toBeUndefined();
    expect(r({ 'x-path': '/api/v2/orders' })).toBe('green');
  });
});
