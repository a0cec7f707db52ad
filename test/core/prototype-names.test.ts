/**
 * Keys, cookie names and query names that coincide with Object.prototype members (`__proto__`,
 * `constructor`, `toString`) are inert: objects built from request data have a null prototype.
 */
import fc from 'fast-check';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coloringInput, createColoringRules, createGrayPolicy, extractGrayContext, getGrayContext, recordCarrier, runWithStage } from 'graylane';
import { grayHttpHandler } from 'graylane/http';
import { listen, request, type RunningHttp } from '../http/helpers.js';

const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'prototype'];

describe('prototype names in request data are inert', () => {
  it('a context extracted from a request has no inherited members (no constructor, no __proto__ key)', () => {
    const policy = createGrayPolicy({ keyPrefix: 'c', keys: ['constructor'] });
    const ctx = extractGrayContext({ 'x-release-stage': 'canary', cx: '1' }, recordCarrier, policy);
    expect(ctx.entries).toEqual({ 'x-release-stage': 'canary', cx: '1' });
    expect('constructor' in ctx.entries).toBe(false);
    expect('toString' in ctx.entries).toBe(false);
    const sent = extractGrayContext({ constructor: 'c1' }, recordCarrier, policy);
    expect(sent.entries.constructor).toBe('c1');
    expect(Object.keys(sent.entries)).toEqual(['constructor']);
  });

  it('a context derived with runWithStage from one with extra keys has no inherited members', () => {
    const policy = createGrayPolicy({ keys: ['x-user'] });
    const base = extractGrayContext({ 'x-user': 'u' }, recordCarrier, policy);
    expect('constructor' in base.entries).toBe(false);
    const derived = runWithStage('canary', () => getGrayContext()!, policy);
    expect('constructor' in derived.entries).toBe(false);
  });

  it('property: cookies and query parameters named after prototype members match only when present', () => {
    const name = fc.constantFrom(...PROTO_NAMES);
    fc.assert(fc.property(name, fc.boolean(), fc.boolean(), (n, inCookie, inQuery) => {
      const rules = createColoringRules([
        { stage: 'blue', match: { cookie: n } },
        { stage: 'green', match: { query: n } },
      ]);
      const cookie = inCookie ? `a=1; ${n}=x` : 'a=1';
      const url = inQuery ? `/p?${encodeURIComponent(n)}=y` : '/p?a=1';
      const got = rules.resolve(coloringInput({ cookie }, recordCarrier, url));
      expect(got).toBe(inCookie ? 'blue' : inQuery ? 'green' : undefined);
    }), { numRuns: 200 });
  });

  it('Object.prototype is untouched after hostile names went through extraction and rules', () => {
    const policy = createGrayPolicy({ keyPrefix: ['c', 'p'], keys: ['constructor', 'prototype'] });
    // JSON.parse makes an own "__proto__" key, as a message-queue client decoding headers would.
    const headers = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "y", "prototype": "z", "c-a": "w"}') as Record<string, string>;
    const ctx = extractGrayContext(headers, recordCarrier, policy);
    expect(Object.keys(ctx.entries).sort()).toEqual(['c-a', 'constructor', 'prototype']);
    createColoringRules([{ stage: 'blue', match: { cookie: '__proto__', equals: 'polluted' } }])
      .resolve(coloringInput({ cookie: '__proto__=polluted; constructor=1' }, recordCarrier, '/?__proto__=1'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });
});

describe('at a real node:http edge', () => {
  let gateway: RunningHttp;
  beforeAll(async () => {
    const rules = createColoringRules([{ stage: 'canary', match: { cookie: '__proto__', equals: '1' } }]);
    gateway = await listen(http.createServer(grayHttpHandler((_req, res) => {
      const ctx = getGrayContext()!;
      res.end(JSON.stringify({ stage: ctx.stage, keys: Object.keys(ctx.entries), hasConstructor: 'constructor' in ctx.entries }));
    }, { keys: ['constructor'], keyPrefix: 'x-gray-', rules })));
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('a request without a constructor header yields a context without one; a cookie named __proto__ matches its rule', async () => {
    expect(JSON.parse((await request(gateway.port, '/', { 'x-gray-a': '1' })).body)).toEqual({ stage: 'stable', keys: ['x-gray-a'], hasConstructor: false });
    expect(JSON.parse((await request(gateway.port, '/', { cookie: '__proto__=1' })).body)).toMatchObject({ stage: 'canary', hasConstructor: false });
    expect(JSON.parse((await request(gateway.port, '/', { constructor: 'c' })).body)).toMatchObject({ keys: ['constructor'], hasConstructor: true });
  });
});
