/** The core rule engine at a gRPC edge: coloringResolver plugged into grayServerInterceptor's `resolve`. */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coloringResolver, createColoringRules, createGrayPolicy, getGrayContext, type GrayInvalidEvent } from '../../src/index.js';
import { grayServerInterceptor, grpcMetadataCarrier } from '../../src/grpc-js/index.js';
import { hopClient, startServer, tick, unary, type HopClient, type RunningServer } from '../helpers/grpc.js';

describe('coloringResolver at a grpc-js edge', () => {
  const events: GrayInvalidEvent[] = [];
  const policy = createGrayPolicy({ trustIncoming: false, onInvalid: (e) => events.push(e), keys: ['x-user-id'] });
  const rules = createColoringRules([
    { name: 'qa', stage: 'canary', match: { header: 'x-user-group', equals: 'qa' } },
    { name: 'half', stage: 'blue', rollout: { percent: 50, header: 'x-user-id' } },
  ], { policy });
  let server: RunningServer;
  let client: HopClient;

  beforeAll(async () => {
    const interceptor = grayServerInterceptor({ policy, resolve: coloringResolver(rules, grpcMetadataCarrier, policy) });
    server = await startServer({
      unary: (call: grpc.ServerUnaryCall<{ id: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        void (async () => {
          await tick();
          const ctx = getGrayContext();
          cb(null, { id: call.request.id, hops: [{ service: 'edge', instance: 'a', stage: ctx?.stage ?? 'none', explicit: ctx?.explicit ?? false, phase: 'after-await' }] });
        })();
      },
    }, { interceptors: [interceptor] });
    client = hopClient(server.address);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  const call = async (pairs: Record<string, string>): Promise<{ stage: string; explicit: boolean }> => {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(pairs)) md.set(k, v);
    const reply = await unary(client, { id: 'x' }, md);
    return reply.hops[0]!;
  };

  it('colors a call by a header rule', async () => {
    expect(await call({ 'x-user-group': 'qa' })).toMatchObject({ stage: 'canary', explicit: true });
  });

  it('ignores an untrusted client stage, reports it, and falls back to rules / default', async () => {
    events.length = 0;
    expect(await call({ 'x-release-stage': 'canary' })).toMatchObject({ stage: 'stable', explicit: false });
    expect(events).toEqual([{ key: 'x-release-stage', reason: 'untrusted', value: 'canary' }]);
  });

  it('rolls out by user id: the same id always gets the same stage, and roughly half are in', async () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 200; i++) {
      const id = `u${i}`;
      const first = (await call({ 'x-user-id': id })).stage;
      expect((await call({ 'x-user-id': id })).stage).toBe(first);
      seen.set(id, first);
    }
    const blue = [...seen.values()].filter((s) => s === 'blue').length;
    expect(blue).toBeGreaterThan(60);
    expect(blue).toBeLessThan(140);
    expect(new Set(seen.values())).toEqual(new Set(['blue', 'stable']));
  });

  it('with a method path: path-prefix rules apply and grpc.health.v1 is never colored', () => {
    const local = createColoringRules([{ stage: 'canary', match: { pathPrefix: '/shop.Cart/' } }, { stage: 'blue' }]);
    const resolve = coloringResolver(local, grpcMetadataCarrier, policy);
    const md = new grpc.Metadata();
    expect(resolve(policy.defaultContext, md, '/shop.Cart/Add').stage).toBe('canary');
    expect(resolve(policy.defaultContext, md, '/shop.Orders/List').stage).toBe('blue');
    expect(resolve(policy.defaultContext, md).stage).toBe('blue');
    expect(resolve(policy.defaultContext, md, '/grpc.health.v1.Health/Check')).toBe(policy.defaultContext);
  });

  it('a rule swap applies to the next call without restarting the server', async () => {
    expect((await call({ 'x-user-group': 'qa' })).stage).toBe('canary');
    rules.setRules([{ stage: 'green', match: { header: 'x-user-group', equals: 'qa' } }]);
    expect((await call({ 'x-user-group': 'qa' })).stage).toBe('green');
  });
});
