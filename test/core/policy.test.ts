import { describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_STAGE,
  GrayConfigError,
  RELEASE_STAGE_KEY,
  createGrayPolicy,
  extractGrayContext,
  grayHeaders,
  injectGrayContext,
  recordCarrier,
  type GrayInvalidEvent,
} from '../../src/index.js';

const read = (headers: Record<string, string | string[]>, options = {}) =>
  extractGrayContext(headers, recordCarrier, createGrayPolicy(options));

describe('stage parsing', () => {
  it('defaults to stable, not explicit, nothing forwarded', () => {
    const ctx = read({});
    expect(ctx).toEqual({ stage: DEFAULT_STAGE, explicit: false, entries: {} });
    expect(RELEASE_STAGE_KEY).toBe('x-release-stage');
  });

  it('trims and lower-cases: CANARY is canary', () => {
    const ctx = read({ 'x-release-stage': '  CANARY ' });
    expect(ctx).toEqual({ stage: 'canary', explicit: true, entries: { 'x-release-stage': 'canary' } });
  });

  it('surrounding whitespace (tabs, newlines) is trimmed before checking', () => {
    expect(read({ 'x-release-stage': '\tcanary\n' }).stage).toBe('canary');
  });

  it('uses the first of several values', () => {
    expect(read({ 'x-release-stage': ['canary', 'stable'] }).stage).toBe('canary');
  });

  it.each([
    ['x'.repeat(65), 'too-long'],
    ['../x', 'bad-characters'],
    ['a;b', 'bad-characters'],
    ['-canary', 'bad-characters'],
    ['   ', 'empty'],
  ])('rejects %j → default stage, reported, never forwarded', (value, reason) => {
    const events: GrayInvalidEvent[] = [];
    const ctx = read({ 'x-release-stage': value }, { onInvalid: (e: GrayInvalidEvent) => events.push(e) });
    expect(ctx).toEqual({ stage: 'stable', explicit: false, entries: {} });
    expect(events).toEqual([{ key: 'x-release-stage', reason, value: value.slice(0, 64) }]);
    const out: Record<string, string> = {};
    injectGrayContext(ctx, out, recordCarrier);
    expect(out).toEqual({});
  });

  it('accepts the longest valid stage (64 characters)', () => {
    const stage = 'a'.repeat(64);
    expect(read({ 'x-release-stage': stage }).stage).toBe(stage);
  });

  it('applies the stage allowlist', () => {
    const onInvalid = vi.fn();
    const policy = { stages: ['stable', 'canary'], onInvalid };
    expect(read({ 'x-release-stage': 'canary' }, policy).stage).toBe('canary');
    expect(read({ 'x-release-stage': 'blue' }, policy)).toEqual({ stage: 'stable', explicit: false, entries: {} });
    expect(onInvalid).toHaveBeenCalledWith({ key: 'x-release-stage', reason: 'not-allowed', value: 'blue' });
  });

  it('counts rejected values per reason', () => {
    const policy = createGrayPolicy({ stages: ['stable', 'canary'] });
    extractGrayContext({ 'x-release-stage': 'blue' }, recordCarrier, policy);
    extractGrayContext({ 'x-release-stage': 'a;b' }, recordCarrier, policy);
    extractGrayContext({ 'x-release-stage': 'a;b' }, recordCarrier, policy);
    expect(policy.rejected['not-allowed']).toBe(1);
    expect(policy.rejected['bad-characters']).toBe(2);
  });

  it('a throwing hook never breaks extraction', () => {
    const ctx = read({ 'x-release-stage': 'a;b' }, { onInvalid: () => { throw new Error('boom'); } });
    expect(ctx.stage).toBe('stable');
  });
});

describe('aliases, extra keys and trust', () => {
  it('reads an alias when the main key is absent and forwards the main key only', () => {
    const ctx = read({ 'x-canary-version': 'v2' }, { aliases: ['x-canary-version'] });
    expect(ctx).toEqual({ stage: 'v2', explicit: true, entries: { 'x-release-stage': 'v2' } });
  });

  it('prefers the main key over an alias', () => {
    expect(read({ 'x-canary-version': 'v2', 'x-release-stage': 'canary' }, { aliases: ['x-canary-version'] }).stage).toBe('canary');
  });

  it('forwards aliases too when asked', () => {
    const ctx = read({ 'x-canary-version': 'v2' }, { aliases: ['x-canary-version'], forwardAliases: true });
    expect(ctx.entries).toEqual({ 'x-release-stage': 'v2', 'x-canary-version': 'v2' });
  });

  it('carries listed keys and prefixed keys, validating values', () => {
    const onInvalid = vi.fn();
    const ctx = read(
      { 'x-user-group': 'beta', 'x-gray-lane': 'lane-7', 'x-gray-bad': 'é', 'x-other': 'no', 'x-gray-long': 'y'.repeat(300) },
      { keys: ['x-user-group'], keyPrefix: 'x-gray-', onInvalid },
    );
    expect(ctx).toEqual({ stage: 'stable', explicit: false, entries: { 'x-user-group': 'beta', 'x-gray-lane': 'lane-7' } });
    expect(onInvalid.mock.calls.map(([e]) => e.reason).sort()).toEqual(['bad-characters', 'too-long']);
  });

  it('caps the number of propagated keys', () => {
    const headers: Record<string, string> = { 'x-release-stage': 'canary' };
    for (let i = 0; i < 10; i++) headers[`x-gray-k${i}`] = String(i);
    const ctx = read(headers, { keyPrefix: 'x-gray-', maxKeys: 4 });
    expect(Object.keys(ctx.entries)).toHaveLength(4);
    expect(ctx.entries['x-release-stage']).toBe('canary');
  });

  it('ignores -bin keys unless listed by name', () => {
    const ctx = read({ 'x-gray-blob-bin': 'AAEC', 'x-trace-bin': 'AAEC' }, { keyPrefix: 'x-gray-', keys: ['x-trace-bin'] });
    expect(ctx.entries).toEqual({ 'x-trace-bin': 'AAEC' });
  });

  it('trustIncoming: false ignores the stage and reports it as untrusted, still carrying extra keys', () => {
    const onInvalid = vi.fn();
    const ctx = read({ 'x-release-stage': 'canary', 'x-gray-lane': 'a' }, { trustIncoming: false, keyPrefix: 'x-gray-', onInvalid });
    expect(ctx).toEqual({ stage: 'stable', explicit: false, entries: { 'x-gray-lane': 'a' } });
    expect(onInvalid).toHaveBeenCalledWith({ key: 'x-release-stage', reason: 'untrusted', value: 'canary' });
  });

  it('reads header names case-insensitively from plain records', () => {
    expect(read({ 'X-Release-Stage': 'canary' }).stage).toBe('canary');
  });
});

describe('inject and grayHeaders', () => {
  it('never overwrites a key the carrier holds unless asked', () => {
    const ctx = read({ 'x-release-stage': 'canary', 'x-gray-a': '1' }, { keyPrefix: 'x-gray-' });
    const out: Record<string, string> = { 'x-release-stage': 'stable' };
    injectGrayContext(ctx, out, recordCarrier);
    expect(out).toEqual({ 'x-release-stage': 'stable', 'x-gray-a': '1' });
    injectGrayContext(ctx, out, recordCarrier, { overwrite: true });
    expect(out).toEqual({ 'x-release-stage': 'canary', 'x-gray-a': '1' });
  });

  it('grayHeaders returns a copy', () => {
    const ctx = read({ 'x-release-stage': 'canary' });
    const headers = grayHeaders(ctx);
    headers['x-release-stage'] = 'mutated';
    expect(ctx.entries['x-release-stage']).toBe('canary');
    expect(grayHeaders()).toEqual({});
  });

  it('contexts are frozen', () => {
    const ctx = read({ 'x-release-stage': 'canary' });
    expect(Object.isFrozen(ctx)).toBe(true);
    expect(Object.isFrozen(ctx.entries)).toBe(true);
  });
});

describe('createGrayPolicy validation', () => {
  it.each([
    [{ stageKey: 'X Release' }, /stageKey "X Release" is not a valid metadata key/],
    [{ aliases: ['ok', 'BAD!'] }, /alias "BAD!"/],
    [{ defaultStage: 'Stable' }, /defaultStage "Stable" is not a valid stage/],
    [{ stages: ['canary'] }, /defaultStage 'stable' is not in stages \[canary\]/],
    [{ stages: [] }, /stages is empty/],
    [{ maxKeys: 0 }, /maxKeys must be an integer from 1 to 256/],
    [{ keys: ['x-release-stage'] }, /is the stage key/],
    [{ keyPrefix: '' }, /keyPrefix "" is not a valid metadata key/],
  ])('%j throws GrayConfigError', (options, message) => {
    let error: unknown;
    try {
      createGrayPolicy(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GrayConfigError);
    expect((error as Error).name).toBe('GrayConfigError');
    expect((error as Error).message).toMatch(message);
  });
});

describe('context sharing', () => {
  it('shares the frozen context of a stage-only request, and never one with extra keys', () => {
    const policy = createGrayPolicy({ keys: ['x-user'] });
    const a = extractGrayContext({ 'x-release-stage': 'canary' }, recordCarrier, policy);
    const b = extractGrayContext({ 'x-release-stage': 'CANARY' }, recordCarrier, policy);
    expect(a).toBe(b);
    const c = extractGrayContext({ 'x-release-stage': 'canary', 'x-user': 'u1' }, recordCarrier, policy);
    expect(c).not.toBe(a);
    expect(c.entries).toEqual({ 'x-release-stage': 'canary', 'x-user': 'u1' });
    expect(a.entries).toEqual({ 'x-release-stage': 'canary' });
  });
});

describe('found by fuzzing (soak/fuzz.ts)', () => {
  it('a prefix-matched header name that is not a gRPC key is reported, never carried', () => {
    const onInvalid = vi.fn();
    const ctx = read({ 'x-release-stage': 'canary', 'x-gray-a!b': '1', 'x-gray-ok': '2' }, { keyPrefix: 'x-gray-', onInvalid });
    expect(ctx.entries).toEqual({ 'x-release-stage': 'canary', 'x-gray-ok': '2' });
    expect(onInvalid).toHaveBeenCalledWith({ key: 'x-gray-a!b', reason: 'bad-characters', value: '1' });
  });

  it('keys named like Object.prototype members are carried (and absent ones are not invented)', () => {
    expect(read({ constructor: 'x' }, { keys: ['constructor', 'tostring'] }).entries).toEqual({ constructor: 'x' });
    expect(read({}, { keys: ['constructor'] }).entries).toEqual({});
  });
});
