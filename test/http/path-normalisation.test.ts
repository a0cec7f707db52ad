/**
 * Path rules match the normalised path: dot segments (also percent-encoded), repeated slashes,
 * query strings and absolute-form request targets cannot make a request look like it is under a
 * prefix it does not route to.
 */
import fc from 'fast-check';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError, coloringInput, createColoringRules, getGrayContext, recordCarrier } from 'graylane';
import { grayHttpHandler } from 'graylane/http';
import { listen, request, type RunningHttp } from './helpers.js';

describe('pathPrefix rules at a real node:http edge', () => {
  let gateway: RunningHttp;
  beforeAll(async () => {
    const rules = createColoringRules([{ stage: 'canary', match: { pathPrefix: '/beta/' } }]);
    gateway = await listen(http.createServer(grayHttpHandler((req, res) => {
      res.end(JSON.stringify({ url: req.url, stage: getGrayContext()?.stage ?? null }));
    }, { rules })));
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const stageOf = async (path: string): Promise<string | null> => {
    const body = JSON.parse((await request(gateway.port, path)).body) as { url: string; stage: string | null };
    expect(body.url).toBe(path); // node:http hands the raw target over unchanged
    return body.stage;
  };

  it.each([
    '/beta/../admin',
    '/beta/%2e%2e/admin',
    '/beta/%2E%2E/admin',
    '/beta/.%2e/admin',
    '/beta/x/../../admin',
    '/beta//../admin',
    '/beta/./../admin',
    '/admin?next=/beta/x',
    '/beta',
    'http://evil.example/beta/../admin',
  ])('%s is not under /beta/', async (path) => {
    expect(await stageOf(path)).toBe('stable');
  });

  it.each([
    '/beta/x',
    '/beta/',
    '/beta/./x',
    '/./beta/x',
    '/admin/../beta/x',
    '/%62eta/x',
    '/beta/x?y=/../..',
    'http://gw.example/beta/x',
  ])('%s is under /beta/', async (path) => {
    expect(await stageOf(path)).toBe('canary');
  });
});

describe('the normalised path rules see', () => {
  /** Reference resolution: collapse empty segments, drop '.', pop on '..'. */
  function resolve(segments: readonly string[]): string {
    const out: string[] = [];
    for (const raw of segments) {
      const s = raw.replace(/%2e/gi, '.');
      if (s === '' || s === '.') continue;
      if (s === '..') out.pop();
      else out.push(s);
    }
    const last = segments.length === 0 ? '' : segments[segments.length - 1]!.replace(/%2e/gi, '.');
    const trailing = out.length > 0 && (last === '' || last === '.' || last === '..');
    return '/' + out.join('/') + (trailing ? '/' : '');
  }

  it('property: dot segments, encoded dots and repeated slashes are resolved; the result has none left', () => {
    const segment = fc.constantFrom('beta', 'admin', 'x', '.', '..', '%2e', '%2E%2e', '.%2E', '');
    fc.assert(fc.property(fc.array(segment, { maxLength: 12 }), fc.constantFrom('', '?a=/../b', '?x=1#/beta/'), (segments, tail) => {
      const path = coloringInput({}, recordCarrier, '/' + segments.join('/') + tail).path!;
      expect(path).toBe(resolve(segments));
      expect(path).not.toMatch(/\/\.{1,2}(\/|$)|\/\/|%2e/i);
    }), { numRuns: 2000 });
  });

  it('normalisation is linear: a 64 KB path of dot segments resolves at once', () => {
    const start = performance.now();
    const path = coloringInput({}, recordCarrier, '/beta' + '/..'.repeat(20_000) + '/x'.repeat(5_000)).path!;
    expect(path.startsWith('/x/x/')).toBe(true);
    expect(performance.now() - start).toBeLessThan(500);
  });

  it('a pathPrefix that is not itself normalised is refused, naming the normalised form', () => {
    const make = (): unknown => createColoringRules([{ stage: 'canary', match: { pathPrefix: '/beta/../admin/' } }]);
    expect(make).toThrow(GrayConfigError);
    expect(make).toThrow(/use "\/admin\/"/);
  });
});
