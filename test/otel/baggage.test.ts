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
