/**
 * One rule for "the stage of a call": a call is counted by the client metrics and the rollback
 * guard as the stage the graylane balancer routes it to — aliases included, junk included. Real
 * grpc-js servers behind real routing (a static registry).
 */
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrayPolicy, runWithStage } from '../../src/index.js';
import { grayClientInterceptor, grayServerInterceptor } from '../../src/grpc-js/index.js';
import { createRollbackGuard, type RollbackGuard } from 'graylane/observe';
import { grayClientMetricsInterceptor, rollbackGuardClientInterceptor } from 'graylane/observe/grpc-js';
import { createStaticRegistry, registerGrayRouting, type GrayRouting, type StaticGrayRegistry } from '../../src/routing/index.js';
import { hopClient, type HopClient } from '../helpers/grpc.js';
import { sumBy } from '../helpers/prom.js';
import { stageMetadata, startHop, stopHops, unaryWithStatus, type ChainHop } from './chain.js';

describe('the stage of a call: routed and recorded alike', () => {
  const policy = createGrayPolicy({ aliases: ['x-canary-version'], stages: ['stable', 'canary'] });
  const promRegistry = new Registry();
  const hops: ChainHop[] = [];
  let registry: StaticGrayRegistry;
  let routing: GrayRouting;
  let guard: RollbackGuard;
  let client: HopClient;

  beforeAll(async () => {
    hops.push(await startHop({ name: 'stable-1', serverInterceptors: [grayServerInterceptor({ policy })] }));
    hops.push(await startHop({ name: 'canary-1', serverInterceptors: [grayServerInterceptor({ policy })], fail: () => grpc.status.INTERNAL }));
    registry = createStaticRegistry([
      { service: 'hop', address: hops[0]!.server.address, stage: 'stable' },
      { service: 'hop', address: hops[1]!.server.address, stage: 'canary' },
    ]);
    routing = registerGrayRouting({ registry, policy, scheme: 'callstage' });
    guard = createRollbackGuard({ registry, service: 'hop', minSamples: 5 });
    client = hopClient(routing.target('hop'), {
      interceptors: [grayClientMetricsInterceptor({ registry: promRegistry, policy }), rollbackGuardClientInterceptor(guard, { policy }), grayClientInterceptor()],
    });
  });

  afterAll(async () => {
    client?.close();
    routing?.close();
    await registry?.close();
    await stopHops(hops);
  });

  it('an alias-tagged call is routed to canary and counted as canary by the metrics and the guard', async () => {
    for (let i = 0; i < 5; i++) {
      const { status } = await unaryWithStatus(client, { id: `a${i}` }, stageMetadata(undefined, { 'x-canary-version': 'canary' }));
      // Only the canary instance fails: the call was routed there.
      expect([status.code, status.details]).toEqual([grpc.status.INTERNAL, 'injected']);
    }
    expect(await sumBy(promRegistry, 'grpc_client_handled_total', 'release_stage')).toEqual({ canary: 5 });
    expect(guard.state).toBe('tripped');
    await new Promise<void>((r) => (guard.stageDisabled ? r() : guard.once('disabled', () => r())));
    expect(registry.getService('hop').rules.disabledStages).toEqual(['canary']);
  });

  it('a junk stage the caller set wins over its context: routed to and counted as the default stage', async () => {
    await guard.resume();
    const { reply, status } = await runWithStage('canary', () => unaryWithStatus(client, { id: 'j' }, stageMetadata('no such stage!')), policy);
    expect(status.code).toBe(grpc.status.OK);
    expect(reply?.hops[0]).toMatchObject({ instance: 'stable-1', stage: 'stable' });
    expect(await sumBy(promRegistry, 'grpc_client_handled_total', 'release_stage', { grpc_code: 'OK' })).toEqual({ stable: 1 });
    expect(guard.state).toBe('watching');
  });
});
