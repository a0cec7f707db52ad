/**
 * explainGrayEdge and ColoringRules.explain: the structured "why" of one edge decision, and proof
 * (over random headers and rules) that it is always the decision the real HTTP edge makes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createColoringRules, createGrayPolicy, explainGrayEdge, getGrayContext, rolloutBucket, type ColoringRule, type GrayContext } from 'graylane';
import { grayHttpMiddleware } from 'graylane/http';

const TOKEN = { tokenHeader: 'x-gray-token', tokens: ['qa-secret'] };
const RULES: ColoringRule[] = [
  { name: 'qa', stage: 'canary', match: { header: 'x-user-group', equals: 'qa' } },
  { name: 'beta api', stage: 'beta', match: { pathPrefix: '/api/v2/' } },
  { name: '20% of users', stage: 'canary', rollout: { percent: 20, header: 'x-user-id', salt: 's1' } },
];
const base = { stages: ['stable', 'canary', 'beta'], trust: TOKEN, rules: RULES };

/** A user id whose bucket under `salt` is (not) below `threshold`. */
function userWhere(inside: boolean, salt: string, threshold: number): string {
  for (let i = 0; ; i++) if ((rolloutBucket(salt, `u-${i}`) < threshold) === inside) return `u-${i}`;
}

describe('explainGrayEdge: which rule colored a request, or why it stayed stable', () => {
  it('colored: names the rule (index, name, stage)', () => {
    const e = explainGrayEdge({ headers: { 'X-User-Group': 'qa' } }, base);
    expect(e).toMatchObject({ stage: 'canary', explicit: true, decision: 'colored' });
    expect(e.coloring?.rule).toMatchObject({ index: 0, name: 'qa', stage: 'canary', outcome: 'matched' });
    expect(e.reason).toBe("rule #0 'qa' colored it canary");
    expect(e.forwarded).toEqual([['x-release-stage', 'canary']]);
  });

  it('untrusted: a stage sent without the token is ignored, and the rules still run', () => {
    const e = explainGrayEdge({ headers: { 'x-release-stage': 'canary' } }, base);
    expect(e).toMatchObject({ stage: 'stable', explicit: false, decision: 'untrusted', sent: { key: 'x-release-stage', value: 'canary' } });
    expect(e.rejected).toEqual([{ key: 'x-release-stage', reason: 'untrusted' }]);
    expect(e.coloring?.rules.map((r) => r.outcome)).toEqual(['no-match', 'no-match', 'rollout-out']);
    expect(e.coloring?.rules[0]!.why).toBe("match: header 'x-user-group' is absent");
  });

  it('trusted: with the token the sent stage is believed and the token is never forwarded', () => {
    const e = explainGrayEdge({ headers: { 'x-release-stage': 'canary', 'x-gray-token': 'qa-secret' } }, base);
    expect(e).toMatchObject({ stage: 'canary', decision: 'trusted', coloring: undefined });
    expect(e.forwarded.map(([k]) => k)).not.toContain('x-gray-token');
  });

  it("invalid: the policy's rejection reason", () => {
    const spaced = explainGrayEdge({ headers: { 'x-release-stage': 'canary!', 'x-gray-token': 'qa-secret' } }, base);
    expect(spaced).toMatchObject({ stage: 'stable', decision: 'invalid', rejected: [{ key: 'x-release-stage', reason: 'bad-characters' }] });
    const unknown = explainGrayEdge({ headers: { 'x-release-stage': 'gamma', 'x-gray-token': 'qa-secret' } }, base);
    expect(unknown).toMatchObject({ decision: 'invalid', rejected: [{ reason: 'not-allowed' }] });
    expect(unknown.reason).toContain('not-allowed');
  });

  it('rollout share: the bucket against the threshold, in and out', () => {
    const out = userWhere(false, 's1', 2000);
    const e = explainGrayEdge({ headers: { 'x-user-id': out } }, base);
    expect(e.decision).toBe('rollout-share');
    const rule = e.coloring!.rules[2]!;
    expect(rule.rollout).toEqual({ rollout: undefined, keyPresent: true, bucket: rolloutBucket('s1', out), threshold: 2000 });
    expect(e.reason).toContain(`bucket ${rolloutBucket('s1', out)} is not below 2000 (share 20%)`);
    const inside = explainGrayEdge({ headers: { 'x-user-id': userWhere(true, 's1', 2000) } }, base);
    expect(inside).toMatchObject({ decision: 'colored', stage: 'canary', coloring: { rule: { name: '20% of users' } } });
  });

  it('stage disabled: the rule matched but isStageEnabled said no, and evaluation went on', () => {
    const rules = createColoringRules(RULES, { isStageEnabled: (s) => s !== 'canary' });
    const e = explainGrayEdge({ headers: { 'x-user-group': 'qa' } }, { ...base, rules });
    expect(e).toMatchObject({ stage: 'stable', decision: 'stage-disabled' });
    expect(e.coloring?.rules[0]).toMatchObject({ outcome: 'stage-disabled', why: "stage 'canary' is disabled (isStageEnabled said no)" });
  });

  it('named rollouts: the share read from the lookup, 0 when unknown', () => {
    const rules = [{ name: 'ramp', stage: 'canary', rollout: { rollout: 'pricing-v2', header: 'x-user-id' } }];
    const user = userWhere(true, 'canary', 500);
    const at5 = explainGrayEdge({ headers: { 'x-user-id': user } }, { rules: createColoringRules(rules, { rolloutPercent: () => 5 }) });
    expect(at5).toMatchObject({ decision: 'colored', coloring: { rule: { rollout: { rollout: 'pricing-v2', threshold: 500 } } } });
    const unknown = explainGrayEdge({ headers: { 'x-user-id': user } }, { rules: createColoringRules(rules, { rolloutPercent: () => undefined }) });
    expect(unknown.decision).toBe('rollout-share');
    expect(unknown.reason).toContain("share 0% (rollout 'pricing-v2')");
  });

  it('rule miss, no rules, health paths; hostile values are quoted and cut', () => {
    expect(explainGrayEdge({ headers: {} }, { rules: [RULES[0]!] }).decision).toBe('rule-miss');
    expect(explainGrayEdge({ headers: {} }, {}).decision).toBe('no-rules');
    expect(explainGrayEdge({ headers: {}, url: '/healthz?x=1' }, { healthPaths: ['/healthz'] })).toMatchObject({ decision: 'health', stage: undefined });
    const e = explainGrayEdge({ headers: { 'x-user-group': `"\n${'x'.repeat(5000)}`, constructor: 'qa' } }, { rules: [RULES[0]!] });
    expect(e.decision).toBe('rule-miss');
    expect(e.coloring!.rules[0]!.why!.length).toBeLessThan(200);
    expect(e.coloring!.rules[0]!.why).not.toContain('\n');
  });

  it('a built policy: reasons still known (keys are not)', () => {
    const policy = createGrayPolicy({ stages: ['stable', 'canary'] });
    const e = explainGrayEdge({ headers: { 'x-release-stage': 'canary' } }, { policy });
    expect(e).toMatchObject({ decision: 'untrusted', rejected: [{ key: undefined, reason: 'untrusted' }] });
  });
});

describe('explain = the edge, over random headers and rules (property)', () => {
  const condition = fc.oneof(
    fc.record({ header: fc.constantFrom('x-user-group', 'x-team', 'X-Team'), equals: fc.constantFrom('qa', 'a', 'QA') }),
    fc.record({ header: fc.constantFrom('x-user-group', 'x-team'), oneOf: fc.constant(['qa', 'b']), ignoreCase: fc.boolean() }),
    fc.record({ header: fc.constantFrom('x-team'), regex: fc.constantFrom('^a', 'b$', '[0-9]+') }),
    fc.record({ pathPrefix: fc.constantFrom('/api/', '/api/v2/') }),
    fc.record({ query: fc.constantFrom('lane'), equals: fc.constant('canary') }),
    fc.record({ cookie: fc.constantFrom('beta'), equals: fc.constant('1') }),
  );
  const rule = fc.record({
    name: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
    stage: fc.constantFrom('canary', 'beta', 'stable'),
    match: fc.option(fc.oneof(condition, fc.array(condition, { minLength: 1, maxLength: 3 })), { nil: undefined }),
    rollout: fc.option(fc.oneof(
      fc.record({ percent: fc.integer({ min: 0, max: 100 }), header: fc.constant('x-user-id') }),
      fc.record({ rollout: fc.constantFrom('r1', 'r2'), header: fc.constant('x-user-id') }),
    ), { nil: undefined }),
  }).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as ColoringRule);
  const value = fc.oneof(fc.constantFrom('qa', 'QA', 'a1', '42b', 'canary', 'beta', 'stable', 'Canary', 'canary, beta', 'beta=1; x=2', ''), fc.string({ maxLength: 8 }));
  const headers = fc.dictionary(
    fc.constantFrom('x-user-group', 'x-team', 'x-user-id', 'x-release-stage', 'x-gray-token', 'cookie', 'constructor', '__proto__'),
    fc.oneof(value, fc.constantFrom('qa-secret', 'beta=1')),
  );
  const url = fc.constantFrom('/', '/api/x', '/api/v2/y?lane=canary', '/api/../api/v2/z', '/x?lane=canary');

  it('explainGrayEdge decides what the HTTP edge middleware decides, and the rule set explains what it resolves', () => {
    fc.assert(fc.property(
      fc.array(rule, { maxLength: 5 }), headers, url, fc.boolean(), fc.subarray(['canary', 'beta']), fc.record({ r1: fc.integer({ min: 0, max: 100 }), r2: fc.constant(undefined) }),
      (rules, hdrs, path, trustAll, disabled, shares) => {
        const options = (set: ReturnType<typeof createColoringRules>) => ({ stages: ['stable', 'canary', 'beta'], trust: TOKEN, trustIncoming: trustAll, rules: set, healthPaths: [] });
        const build = () => createColoringRules(rules, { isStageEnabled: (s) => !disabled.includes(s), rolloutPercent: (n) => shares[n as 'r1' | 'r2'] });
        // The real edge: the HTTP middleware's decision, read inside `next` (undefined: no context).
        let real: GrayContext | undefined;
        grayHttpMiddleware(options(build()))({ headers: hdrs, url: path } as unknown as IncomingMessage, {} as ServerResponse, () => {
          real = getGrayContext();
        });
        const why = explainGrayEdge({ headers: hdrs, url: path }, options(build()));
        expect(why.stage).toBe(real?.stage);
        expect(why.explicit).toBe(real?.explicit);
        expect(why.forwarded).toEqual(Object.entries(real?.entries ?? {}));
        expect(why.decision === 'colored').toBe(why.coloring?.rule !== undefined && why.explicit);
        for (const r of why.coloring?.rules ?? []) {
          if (r.rollout?.bucket !== undefined && r.outcome !== 'no-match') expect(r.rollout.bucket < r.rollout.threshold).toBe(r.outcome !== 'rollout-out');
        }
        const set = build();
        const input = { header: (n: string) => (Object.hasOwn(hdrs, n) ? hdrs[n] : undefined), path };
        expect(set.explain(input).stage).toBe(set.resolve(input));
      },
    ), { numRuns: 1500 });
  });
});
