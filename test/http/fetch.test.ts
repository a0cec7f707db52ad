/** withGrayHeaders / grayFetchInit: unit behaviour and a real fetch hop between two loopback servers. */
import fc from 'fast-check';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrayPolicy, getGrayContext, runWithStage } from '../../src/index.js';
import { grayFetchInit, grayHttpHandler, withGrayHeaders } from '../../src/http/index.js';
import { getJson, listen, type RunningHttp } from './helpers.js';

describe('withGrayHeaders', () => {
  it('adds the current context to a copy of a plain object, keeping names the caller set (any case)', () => {
    runWithStage('canary', () => {
      const mine = { Accept: 'application/json' };
      const out = withGrayHeaders(mine);
      expect(out).toEqual({ Accept: 'application/json', 'x-release-stage': 'canary' });
      expect(mine).toEqual({ Accept: 'application/json' });
      const explicit = { 'X-Release-Stage': 'blue' };
      expect(withGrayHeaders(explicit)).toEqual({ 'X-Release-Stage': 'blue' });
      expect(withGrayHeaders()).toEqual({ 'x-release-stage': 'canary' });
    });
  });

  it('copies a Headers instance', () => {
    runWithStage('canary', () => {
      const mine = new Headers({ accept: 'text/plain' });
      const out = withGrayHeaders(mine);
      expect(out).toBeInstanceOf(Headers);
      expect(out).not.toBe(mine);
      expect(out.get('x-release-stage')).toBe('canary');
      expect(mine.has('x-release-stage')).toBe(false);
      expect(withGrayHeaders(new Headers({ 'X-Release-Stage': 'blue' })).get('x-release-stage')).toBe('blue');
    });
  });

  it('copies an array of pairs', () => {
    runWithStage('canary', () => {
      const mine: [string, string][] = [['accept', 'text/plain']];
      const out = withGrayHeaders(mine);
      expect(out).toEqual([['accept', 'text/plain'], ['x-release-stage', 'canary']]);
      expect(mine).toEqual([['accept', 'text/plain']]);
      expect(withGrayHeaders([['X-RELEASE-STAGE', 'blue']])).toEqual([['X-RELEASE-STAGE', 'blue']]);
    });
  });

  it('adds nothing outside a context; an explicit context may be passed', () => {
    expect(getGrayContext()).toBeUndefined();
    expect(withGrayHeaders({ a: '1' })).toEqual({ a: '1' });
    const policy = createGrayPolicy();
    expect(withGrayHeaders({}, policy.contextFor('blue'))).toEqual({ 'x-release-stage': 'blue' });
  });

  it('property: the caller\'s entries are kept as they were, the input is untouched, the stage is added unless set', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
    fc.assert(fc.property(fc.dictionary(name, fc.string({ maxLength: 20 })), (headers) => {
      const before = structuredClone(headers);
      const out = runWithStage('canary', () => withGrayHeaders(headers));
      expect(headers).toEqual(before);
      for (const [k, v] of Object.entries(headers)) expect(out[k]).toBe(v);
      const callerHasStage = Object.keys(headers).some((k) => k.toLowerCase() === 'x-release-stage');
      expect(out['x-release-stage']).toBe(callerHasStage ? headers['x-release-stage'] : 'canary');
    }), { numRuns: 300 });
  });

  it('grayFetchInit copies the init and merges headers', () => {
    runWithStage('canary', () => {
      const init = { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } };
      const out = grayFetchInit(init);
      expect(out).toEqual({ method: 'POST', body: 'x', headers: { 'content-type': 'text/plain', 'x-release-stage': 'canary' } });
      expect(init.headers).toEqual({ 'content-type': 'text/plain' });
      expect(grayFetchInit()).toEqual({ headers: { 'x-release-stage': 'canary' } });
    });
  });
});

describe('fetch from a gateway to an internal HTTP service', () => {
  let inner: RunningHttp;
  let edge: RunningHttp;

  beforeAll(async () => {
    // Internal hop: trusts its callers (trustIncoming) and carries x-gray-* keys.
    inner = await listen(http.createServer(grayHttpHandler((req, res) => {
      const entries = getGrayContext()?.entries ?? {};
    res.end(JSON.stringify({ stage: getGrayContext()?.stage ?? null, header: req.headers['x-release-stage'] ?? null, tenant: entries['x-gray-tenant'] ?? null, token: req.headers['x-gray-token'] ?? null }));
    }, { trustIncoming: true, keyPrefix: 'x-gray-' })));
    edge = await listen(http.createServer(grayHttpHandler(async (_req, res) => {
      const r = await fetch(`http://127.0.0.1:${inner.port}/`, grayFetchInit({ headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) }));
      res.end(await r.text());
    }, {
      rules: [{ stage: 'canary', match: { header: 'x-user-group', equals: 'qa' } }],
      keyPrefix: 'x-gray-',
      trust: { tokenHeader: 'x-gray-token', tokens: ['edge-secret'] },
    })));
  });
  afterAll(async () => {
    await edge?.close();
    await inner?.close();
  });

  it('the colored stage and carried keys arrive at the next HTTP hop', async () => {
    expect(await getJson(edge.port, '/', { 'x-user-group': 'qa', 'x-gray-tenant': 't1' })).toEqual({ stage: 'canary', header: 'canary', tenant: 't1', token: null });
    expect(await getJson(edge.port, '/', { 'x-release-stage': 'canary' })).toEqual({ stage: 'stable', header: null, tenant: null, token: null });
  });

  it('never forwards the secret token header, even when keyPrefix covers it', async () => {
    const r = await getJson(edge.port, '/', { 'x-gray-token': 'edge-secret', 'x-release-stage': 'blue', 'x-gray-tenant': 't2' });
    expect(r).toEqual({ stage: 'blue', header: 'blue', tenant: 't2', token: null });
  });
});
