/**
 * Case folding and trimming are ASCII-only: a Unicode look-alike (the Kelvin sign `K`, a
 * no-break space) never becomes a valid stage, key or rule match.
 */
import fc from 'fast-check';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coloringInput, createColoringRules, createGrayPolicy, extractGrayContext, getGrayContext, parseStage, recordCarrier, type GrayInvalidEvent } from 'graylane';
import { grayHttpHandler } from 'graylane/http';
import { listen, request, type RunningHttp } from '../http/helpers.js';

const KELVIN = '\u212A';

describe('stages: ASCII-only folding and trimming', () => {
  it("'DAR\\u212A' (Kelvin sign) is rejected as bad-characters, not folded to 'dark'", () => {
    expect('DAR\u212A'.toLowerCase()).toBe('dark'); // what String#toLowerCase would have made of it
    expect(parseStage(`DAR${KELVIN}`)).toEqual({ ok: false, reason: 'bad-characters' });
    expect(parseStage('DARK')).toEqual({ ok: true, stage: 'dark' });
    expect(parseStage('\u0130stable')).toEqual({ ok: false, reason: 'bad-characters' }); // dotted capital I
  });

  it('only ASCII whitespace is trimmed; a no-break space or other Unicode space is bad-characters', () => {
    expect(parseStage(' \tcanary\r\n ')).toEqual({ ok: true, stage: 'canary' });
    for (const space of ['\u00a0', '\u2028', '\ufeff', '\u3000']) {
      expect(parseStage(`canary${space}`)).toEqual({ ok: false, reason: 'bad-characters' });
    }
  });

  it('property: a value with any non-ASCII character (in its first comma-separated part) is never a stage', () => {
    const nonAscii = fc.oneof(fc.constantFrom(KELVIN, '\u00a0', '\u0130', '\u017f', '\u2028', '\ufeff'), fc.integer({ min: 0x80, max: 0xffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCharCode(c)));
    const ascii = fc.stringMatching(/^[A-Za-z0-9._-]{0,10}$/);
    fc.assert(fc.property(ascii, nonAscii, ascii, (a, c, b) => {
      const parsed = parseStage(a + c + b);
      expect(parsed.ok).toBe(false);
    }), { numRuns: 3000 });
  });

  it('message headers (a plain record carrier): a stage with a Kelvin sign falls back to the default and is reported', () => {
    const events: GrayInvalidEvent[] = [];
    const policy = createGrayPolicy({ onInvalid: (e) => events.push(e) });
    const ctx = extractGrayContext({ 'x-release-stage': `DAR${KELVIN}` }, recordCarrier, policy);
    expect(ctx).toMatchObject({ stage: 'stable', explicit: false });
    expect(events.map((e) => e.reason)).toEqual(['bad-characters']);
  });

  it('message headers: a key name with a Kelvin sign is not read as the ASCII key', () => {
    const policy = createGrayPolicy({ keys: ['x-user-kind'], keyPrefix: 'x-gray-' });
    const ctx = extractGrayContext({ [`X-User-${KELVIN}ind`]: 'a', [`x-gray-${KELVIN}ey`]: 'b', [`x-release-stage-${KELVIN}`]: 'c' }, recordCarrier, policy);
    expect(ctx.entries).toEqual({});
    expect(recordCarrier.get({ [`X-${KELVIN}`]: 'v' }, 'x-k')).toBeUndefined();
    expect(recordCarrier.get({ 'X-K': 'v' }, 'x-k')).toBe('v');
  });

  it('rules: ignoreCase equals / oneOf fold ASCII letters only', () => {
    const rules = createColoringRules([
      { stage: 'canary', match: { query: 'g', equals: 'dark', ignoreCase: true } },
      { stage: 'blue', match: { cookie: 'g', oneOf: ['kelvin'], ignoreCase: true } },
    ]);
    const r = (url: string, cookie?: string): string | undefined => rules.resolve(coloringInput(cookie === undefined ? {} : { cookie }, recordCarrier, url));
    expect(r('/?g=DARK')).toBe('canary');
    expect(r(`/?g=DAR${encodeURIComponent(KELVIN)}`)).toBeUndefined();
    expect(r('/', 'g=KELVIN')).toBe('blue');
    expect(r('/', `g=${encodeURIComponent(KELVIN)}elvin`)).toBeUndefined();
  });
});

describe('at a real node:http edge', () => {
  let gateway: RunningHttp;
  const events: GrayInvalidEvent[] = [];
  beforeAll(async () => {
    const rules = createColoringRules([{ stage: 'canary', match: { query: 'g', equals: 'dark', ignoreCase: true } }]);
    gateway = await listen(http.createServer(grayHttpHandler((_req, res) => {
      const ctx = getGrayContext();
      res.end(JSON.stringify({ stage: ctx?.stage, explicit: ctx?.explicit }));
    }, { trustIncoming: true, rules, onInvalid: (e) => events.push(e) })));
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('a trusted stage ending in a no-break space (latin-1 0xA0 on the wire) is not accepted', async () => {
    events.length = 0;
    const res = await request(gateway.port, '/', { 'x-release-stage': 'canary\u00a0' });
    expect(JSON.parse(res.body)).toEqual({ stage: 'stable', explicit: false });
    expect(events.map((e) => e.reason)).toEqual(['bad-characters']);
  });

  it('a query value with a Kelvin sign does not match an ignoreCase rule for "dark"', async () => {
    expect(JSON.parse((await request(gateway.port, '/?g=DARK')).body)).toMatchObject({ stage: 'canary' });
    expect(JSON.parse((await request(gateway.port, '/?g=DAR%E2%84%AA')).body)).toMatchObject({ stage: 'stable' });
  });
});
