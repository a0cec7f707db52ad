import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncLocalStorage } from 'node:async_hooks';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { context, propagation, ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { extractGrayContext, recordCarrier } from '../../src/core/carrier.js';
import { getGrayContext, runWithStage } from '../../src/core/context.js';
import { createGrayPolicy } from '../../src/core/policy.js';
import { GrayConfigError } from '../../src/core/errors.js';
import { grayClientInterceptor } from '../../src/grpc-js/client-interceptor.js';
import { grayServerInterceptor } from '../../src/grpc-js/server-interceptor.js';
import {
  addBaggageMember, getStageFromBaggage, grayBaggageGetter, grayContextFromBaggage, parseBaggageHeader, setGrayBaggage,
} from 'graylane/otel';
import { grayBaggageClientInterceptor, grayBaggageResolve } from 'graylane/otel/grpc-js';
import { hopClient, startServer, unary, type HopClient, type HopReply, type HopRequest, type RunningServer } from '../helpers/grpc.js';

/** The smallest real OTel context manager: AsyncLocalStorage-backed, as @opentelemetry/context-async-hooks. */
class AlsContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>();
  active(): Context { return this.als.getStore() ?? ROOT_CONTEXT; }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.als.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T { return target; }
  enable(): this { return this; }
  disable(): this { return this; }
}

const withStageBaggage = (stage: string, base: Context = ROOT_CONTEXT): Context =>
  propagation.setBaggage(base, propagation.createBaggage({ 'x-release-stage': { value: stage }, other: { value: 'kept' } }));

describe('OTel → graylane', () => {
  beforeAll(() => { context.setGlobalContextManager(new AlsContextManager()); });
  afterAll(() => { context.disable(); });

  it('reads the stage from the active OTel baggage, validated by the policy', () => {
    expect(getStageFromBaggage()).toBeUndefined();
    context.with(withStageBaggage('canary'), () => {
      expect(getStageFromBaggage()).toBe('canary');
      expect(grayContextFromBaggage()).toEqual({ stage: 'canary', explicit: true, entries: { 'x-release-stage': 'canary' } });
    });
    const rejected: string[] = [];
    const policy = createGrayPolicy({ stages: ['stable', 'canary'], onInvalid: (e) => rejected.push(`${e.key}:${e.reason}`) });
    expect(getStageFromBaggage(withStageBaggage('evil stage'), { policy })).toBeUndefined();
    expect(getStageFromBaggage(withStageBaggage('blue'), { policy })).toBeUndefined();
    expect(rejected).toEqual(['baggage:x-release-stage:bad-characters', 'baggage:x-release-stage:not-allowed']);
    expect(getStageFromBaggage(withStageBaggage('CANARY'), { policy })).toBe('canary');
  });

  it('ignores a baggage stage under trustIncoming: false, as the metadata stage is ignored', () => {
    // Real W3C propagation: the baggage header a client sent, extracted by OTel's own propagator.
    const inbound = new W3CBaggagePropagator().extract(ROOT_CONTEXT, { baggage: 'x-release-stage=canary,tenant=t1' }, {
      get: (carrier: Record<string, string>, key: string) => carrier[key],
      keys: (carrier: Record<string, string>) => Object.keys(carrier),
    });
    expect(getStageFromBaggage(inbound)).toBe('canary'); // the default policy trusts callers
    const rejected: string[] = [];
    const policy = createGrayPolicy({ trustIncoming: false, onInvalid: (e) => rejected.push(`${e.key}:${e.reason}`) });
    expect(getStageFromBaggage(inbound, { policy })).toBeUndefined();
    expect(grayContextFromBaggage(inbound, { policy })).toBeUndefined();
    context.with(inbound, () => {
      expect(getStageFromBaggage(undefined, { policy })).toBeUndefined();
      expect(grayContextFromBaggage(undefined, { policy })).toBeUndefined();
    });
    expect(rejected).toEqual(Array(4).fill('baggage:x-release-stage:untrusted'));
    // Same verdict as the grpc-js resolve hook under the same policy.
    const md = new grpc.Metadata();
    md.set('baggage', 'x-release-stage=canary');
    expect(grayBaggageResolve({ policy })(policy.defaultContext, md)).toBe(policy.defaultContext);
  });

  it('a grpc-js server takes the stage from the W3C baggage header when metadata lacks it', async () => {
    const running: RunningServer = await startServer({
      unary(call: grpc.ServerUnaryCall<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
        const ctx = getGrayContext();
        cb(null, { id: call.request.id, hops: [{ service: 's', instance: 's', stage: ctx?.stage ?? 'none', explicit: ctx?.explicit ?? false, phase: 'entry' }] });
      },
    }, { interceptors: [grayServerInterceptor({ resolve: grayBaggageResolve() })] });
    const client: HopClient = hopClient(running.address);
    try {
      const call = async (md: Record<string, string>): Promise<string> => {
        const m = new grpc.Metadata();
        for (const [k, v] of Object.entries(md)) m.set(k, v);
        const hop = (await unary(client, { id: 'x' }, m)).hops[0]!;
        return `${hop.stage}/${hop.explicit}`;
      };
      expect(await call({ baggage: 'userId=alice, x-release-stage = canary ;prop=1' })).toBe('canary/true');
      expect(await call({ baggage: 'x-release-stage=canary', 'x-release-stage': 'blue' })).toBe('blue/true'); // metadata wins
      expect(await call({ baggage: 'x-release-stage=%E2%9C%93' })).toBe('stable/false'); // junk → default, no throw
      expect(await call({ baggage: 'x-release-stage=' + 'a'.repeat(9000) })).toBe('stable/false');
      expect(await call({})).toBe('stable/false');
    } finally {
      client.close();
      await running.close();
    }
  });

  it('grayBaggageResolve() honours the trustIncoming: false of the interceptor that calls it', async () => {
    const running: RunningServer = await startServer({
      unary(call: grpc.ServerUnaryCall<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
        const ctx = getGrayContext();
        cb(null, { id: call.request.id, hops: [{ service: 's', instance: 's', stage: ctx?.stage ?? 'none', explicit: ctx?.explicit ?? false, phase: 'entry' }] });
      },
    }, { interceptors: [grayServerInterceptor({ trustIncoming: false, resolve: grayBaggageResolve() })] });
    const client: HopClient = hopClient(running.address);
    try {
      const m = new grpc.Metadata();
      m.set('baggage', 'x-release-stage=canary');
      const hop = (await unary(client, { id: 'x' }, m)).hops[0]!;
      expect(`${hop.stage}/${hop.explicit}`).toBe('stable/false');
    } finally {
      client.close();
      await running.close();
    }
  });

  it('grayBaggageGetter lets extractGrayContext read baggage from any carrier', () => {
    const getter = grayBaggageGetter(recordCarrier);
    expect(extractGrayContext({ baggage: 'x-release-stage=canary' }, getter).stage).toBe('canary');
    expect(extractGrayContext({ 'X-Release-Stage': 'blue', baggage: 'x-release-stage=canary' }, getter).stage).toBe('blue');
    expect(extractGrayContext({ baggage: 'x-release-stage=%zz' }, getter)).toMatchObject({ stage: 'stable', explicit: false });
    expect(() => grayBaggageGetter(recordCarrier, { baggageKey: 'bad key' })).toThrow(GrayConfigError);
  });
});

describe('graylane → OTel', () => {
  it('writes the current stage into OTel baggage, keeping other entries', () => {
    expect(setGrayBaggage(ROOT_CONTEXT)).toBe(ROOT_CONTEXT); // no gray context: unchanged
    const base = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ tenant: { value: 't1' } }));
    const ctx = runWithStage('canary', () => setGrayBaggage(base));
    const bag = propagation.getBaggage(ctx)!;
    expect(bag.getEntry('x-release-stage')?.value).toBe('canary');
    expect(bag.getEntry('tenant')?.value).toBe('t1');
    expect(getStageFromBaggage(ctx)).toBe('canary'); // and it reads back
    const custom = runWithStage('blue', () => setGrayBaggage(ROOT_CONTEXT, undefined, { baggageKey: 'lane' }));
    expect(propagation.getBaggage(custom)?.getEntry('lane')?.value).toBe('blue');
  });

  it('a grpc-js client sends the stage in the W3C baggage header downstream', async () => {
    const seen: Array<string | undefined> = [];
    const running = await startServer({
      unary(call: grpc.ServerUnaryCall<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
        seen.push(call.metadata.get('baggage')[0] as string | undefined);
        cb(null, { id: call.request.id, hops: [] });
      },
    });
    const client = hopClient(running.address, { interceptors: [grayClientInterceptor(), grayBaggageClientInterceptor()] });
    try {
      await runWithStage('canary', () => unary(client, { id: '1' }));
      const md = new grpc.Metadata();
      md.set('baggage', 'tenant=t%201');
      await runWithStage('canary', () => unary(client, { id: '2' }, md));
      await unary(client, { id: '3' });
      expect(md.get('baggage')).toEqual(['tenant=t%201']); // caller's metadata untouched
      expect(seen).toEqual(['x-release-stage=canary', 'tenant=t%201,x-release-stage=canary', undefined]);
      expect(parseBaggageHeader(seen[1])).toEqual(new Map([['tenant', 't 1'], ['x-release-stage', 'canary']]));
    } finally {
      client.close();
      await running.close();
    }
  });
});

describe('baggage header parsing', () => {
  it('follows W3C list syntax and never throws on junk', () => {
    expect(parseBaggageHeader(' a = 1 ; p , b=%20x ,, =bad, c d=1, e="q"')).toEqual(new Map([['a', '1'], ['b', ' x']]));
    expect(addBaggageMember('a=1,x-release-stage=blue', 'x-release-stage', 'canary')).toBe('a=1,x-release-stage=blue');
    expect(addBaggageMember('a=1,x-release-stage=blue', 'x-release-stage', 'canary', true)).toBe('a=1,x-release-stage=canary');
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (junk) => {
      expect(parseBaggageHeader(junk)).toBeInstanceOf(Map);
      expect(typeof addBaggageMember(junk, 'k', 'v')).toBe('string');
    }), { numRuns: 500 });
  });
});

/**
 * Why the header parser is graylane's own and not `@opentelemetry/core`'s W3CBaggagePropagator:
 * on every well-formed header the two read the same entries (checked here against the real
 * propagator), but core is not a peer of graylane (it would become a required one, and the grpc-js
 * baggage hooks need no OTel package at all), and on caller input that is not W3C baggage core is
 * laxer than graylane's trust rules allow.
 */
describe('the baggage header parser against @opentelemetry/core', () => {
  const viaCore = (header: string): Map<string, string> => {
    const ctx = new W3CBaggagePropagator().extract(ROOT_CONTEXT, { baggage: header }, {
      get: (c: Record<string, string>, k: string) => c[k],
      keys: (c: Record<string, string>) => Object.keys(c),
    });
    return new Map((propagation.getBaggage(ctx)?.getAllEntries() ?? []).map(([k, e]) => [k, e.value]));
  };
  // Tokens without `%`: core percent-decodes keys, which W3C keys are not (see the next test).
  const token = fc.stringMatching(/^[!#$&'*+\-.^_`|~0-9A-Za-z]{1,12}$/);
  // Values as a W3C writer sends them: any text, percent-encoded (encodeURIComponent yields baggage-octets only).
  const value = fc.string({ minLength: 1, maxLength: 16 }).map(encodeURIComponent);
  const member = fc.tuple(token, value, fc.option(fc.constantFrom(';prop', ';p=1', ' ; q'), { nil: undefined }), fc.constantFrom('', ' ', '\t'));

  it('reads the same entries as the W3C propagator from every well-formed header', () => {
    fc.assert(fc.property(fc.array(member, { minLength: 1, maxLength: 20 }), (members) => {
      // Keys that are not plain-object safe are where core loses entries (see the next test): keep this to where both apply.
      fc.pre(members.every(([k]) => !['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'].includes(k)));
      const header = members.map(([k, v, prop, ws]) => `${ws}${k}${ws}=${ws}${v}${prop ?? ''}${ws}`).join(',');
      expect(parseBaggageHeader(header)).toEqual(viaCore(header));
    }), { numRuns: 1000 });
  });

  it('where the input is not W3C baggage, graylane stays strict and core does not', () => {
    // A key that is not a token, a value with characters outside baggage-octet: core takes both.
    expect(viaCore('c d=1,e="q"')).toEqual(new Map([['c d', '1'], ['e', '"q"']]));
    expect(parseBaggageHeader('c d=1,e="q"')).toEqual(new Map());
    // W3C keys are tokens, never percent-decoded: core decodes them, so `x%2Drelease-stage` becomes the
    // stage key, and a legal key such as `%` is dropped. graylane reads keys as they are.
    expect(viaCore('x%2Drelease-stage=canary,%=1')).toEqual(new Map([['x-release-stage', 'canary']]));
    expect(parseBaggageHeader('x%2Drelease-stage=canary,%=1')).toEqual(new Map([['x%2Drelease-stage', 'canary'], ['%', '1']]));
    // Core collects entries in a plain object keyed by the caller's keys: `__proto__` is swallowed
    // (it sets that object's prototype); graylane keeps untrusted keys in a Map.
    expect(viaCore('__proto__=1,a=2')).toEqual(new Map([['a', '2']]));
    expect(parseBaggageHeader('__proto__=1,a=2')).toEqual(new Map([['__proto__', '1'], ['a', '2']]));
    // An oversized header: core reads a prefix of it; graylane ignores it whole (the W3C limit is 8192).
    const oversized = `x-release-stage=canary,${'j=1,'.repeat(3000)}`;
    expect(viaCore(oversized).get('x-release-stage')).toBe('canary');
    expect(parseBaggageHeader(oversized).size).toBe(0);
  });
});
