import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { createGrayPolicy, defaultGrayPolicy } from '../../src/index.js';
import {
  deliverResolution,
  deliverResolutionError,
  normalizeAddressUpdate,
  optionsFromConstructor,
  type GrpcModule,
} from '../../src/routing/grpc-compat.js';
import { serviceOfTarget } from '../../src/routing/resolver.js';
import { StageRouter, WeightedRing, type StagePool } from '../../src/routing/stage-picker.js';
import { DEFAULT_RULES } from '../../src/routing/validate.js';

const mod = grpc as unknown as GrpcModule;

describe('grpc-compat: the experimental API shapes of 1.10 to 1.14', () => {
  it('finds channel options in every LB constructor shape', () => {
    const options = { 'grpc.keepalive_time_ms': 1 };
    expect(optionsFromConstructor([options])).toBe(options); // 1.10-1.11: (helper, options)
    expect(optionsFromConstructor([grpc.credentials.createInsecure(), options])).toBe(options); // 1.12: (helper, credentials, options)
    expect(optionsFromConstructor([])).toEqual({}); // 1.13+: (helper)
  });

  it('normalises updateAddressList arguments: Endpoint[] (<=1.12) and StatusOr (1.13+)', () => {
    const endpoints = [{ addresses: [{ host: '127.0.0.1', port: 1 }] }];
    expect(normalizeAddressUpdate(endpoints, { attr: 1 })).toEqual({ ok: true, endpoints, options: undefined });
    const options = { a: 1 };
    expect(normalizeAddressUpdate({ ok: true, value: endpoints }, options)).toEqual({ ok: true, endpoints, options });
    expect(normalizeAddressUpdate({ ok: false, error: { code: 14, details: 'dns down' } }, options)).toEqual({ ok: false, details: 'dns down', options });
  });

  it('delivers resolutions to both listener shapes', () => {
    const calls: unknown[][] = [];
    const fn = (...args: unknown[]): boolean => (calls.push(args), true);
    deliverResolution(fn, [], { loadBalancingConfig: [] }, 'note');
    expect(calls[0]).toEqual([{ ok: true, value: [] }, {}, { ok: true, value: { loadBalancingConfig: [] } }, 'note']);
    deliverResolutionError(fn, mod, 14, 'boom');
    expect(calls[1]![0]).toMatchObject({ ok: false, error: { code: 14, details: 'boom' } });
    const old = { onSuccessfulResolution: (...args: unknown[]) => void calls.push(['old', ...args]), onError: (e: unknown) => void calls.push(['err', e]) };
    deliverResolution(old, [], { methodConfig: [] }, 'note');
    expect(calls[2]).toEqual(['old', [], { methodConfig: [] }, null, null, {}]);
    deliverResolutionError(old, mod, 14, 'boom');
    expect(calls[3]![1]).toMatchObject({ code: 14, details: 'boom' });
  });
});

describe('targets', () => {
  it('takes the service from graylane:///svc, graylane:svc and the :80 nice-grpc appends to the latter', () => {
    expect(serviceOfTarget({ scheme: 'graylane', authority: '', path: 'shop.Price' })).toBe('shop.Price');
    expect(serviceOfTarget({ scheme: 'graylane', path: 'shop.Price:80' })).toBe('shop.Price');
    expect(serviceOfTarget({ scheme: 'graylane', authority: '', path: '/shop.Price' })).toBe('shop.Price');
  });
});

describe('StageRouter: the per-call decision', () => {
  const pool = (ready: string[], pending = false): StagePool<string> => ({ ready: ready.map((s) => ({ subchannel: s, weight: 1 })), pending });
  const router = (pools: Record<string, StagePool<string>>, rules = DEFAULT_RULES, policy = defaultGrayPolicy()): StageRouter<string> =>
    new StageRouter({ service: 'svc', policy, rules }, new Map(Object.entries(pools)));
  const md = (entries: Record<string, string | Buffer>): grpc.Metadata => {
    const m = new grpc.Metadata();
    for (const [k, v] of Object.entries(entries)) m.set(k, v as string);
    return m;
  };

  it('reads the stage through the policy: junk, binary and missing values give the default stage', () => {
    const r = router({});
    expect(r.stageOf(md({ 'x-release-stage': ' Canary ' }))).toBe('canary');
    expect(r.stageOf(md({ 'x-release-stage': 'no spaces allowed' }))).toBe('stable');
    expect(r.stageOf(md({}))).toBe('stable');
    expect(r.stageOf(undefined)).toBe('stable');
    const aliased = router({}, DEFAULT_RULES, createGrayPolicy({ aliases: ['x-canary-version'], stages: ['stable', 'canary'], defaultStage: 'stable' }));
    expect(aliased.stageOf(md({ 'x-canary-version': 'canary' }))).toBe('canary');
    expect(aliased.stageOf(md({ 'x-canary-version': 'blue' }))).toBe('stable'); // not in the allowlist
  });

  it('waits for a stage still connecting, then falls back or fails as the rules say', () => {
    expect(router({ canary: pool([], true), stable: pool(['s']) }).decide('canary')).toEqual({ kind: 'queue' });
    const fallback = router({ canary: pool([]), stable: pool(['s']) }).decide('canary');
    expect(fallback.kind === 'pick' && fallback.ring.pick()).toBe('s');
    expect(router({ canary: pool([]), stable: pool([], true) }).decide('canary')).toEqual({ kind: 'queue' });
    expect(router({ stable: pool([]) }).decide('canary')).toEqual({
      kind: 'fail', message: "graylane: no ready instance of stage 'canary' or fallback stage 'stable' for service 'svc'",
    });
    const strict = router({ canary: pool([]), stable: pool(['s']) }, { ...DEFAULT_RULES, strictStages: ['canary'] });
    expect(strict.decide('canary')).toEqual({ kind: 'fail', message: "graylane: no ready instance of stage 'canary' for service 'svc' (strict fallback)" });
    expect(strict.decide('blue').kind).toBe('pick');
  });

  it('never sends the default stage elsewhere, and ignores disabling the default stage', () => {
    const r = router({ canary: pool(['c']), stable: pool([]) }, { ...DEFAULT_RULES, disabledStages: ['stable'] });
    expect(r.decide('stable')).toEqual({ kind: 'fail', message: "graylane: no ready instance of stage 'stable' for service 'svc'" });
    const ok = router({ stable: pool(['s']) }, { ...DEFAULT_RULES, disabledStages: ['stable'] }).decide('stable');
    expect(ok.kind).toBe('pick');
  });

  it('smooth weighted round-robin interleaves by weight', () => {
    const ring = new WeightedRing([{ subchannel: 'a', weight: 1 }, { subchannel: 'b', weight: 2 }]);
    const seq = Array.from({ length: 6 }, () => ring.pick());
    expect(seq.filter((s) => s === 'a').length).toBe(2);
    expect(seq.filter((s) => s === 'b').length).toBe(4);
    expect(seq.slice(0, 3).sort()).toEqual(['a', 'b', 'b']);
  });
});
