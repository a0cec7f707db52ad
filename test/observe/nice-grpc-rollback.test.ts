/**
 * rollbackGuardClientMiddleware on a nice-grpc client calling a real nice-grpc server: failures of
 * canary calls trip the guard and disable the stage in a real (static) registry; stable calls and
 * aborted calls are classified as documented.
 */
import { createChannel, createClientFactory, createServer, Metadata, ServerError, Status, type Channel } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError, getReleaseStage, runWithStage } from '../../src/index.js';
import { grayClientMiddleware, grayServerMiddleware } from '../../src/nice-grpc/index.js';
import { createRollbackGuard, type RollbackTripEvent } from 'graylane/observe';
import { rollbackGuardClientMiddleware } from 'graylane/observe/nice-grpc';
import { createStaticRegistry } from '../../src/routing/index.js';
import { PricingDefinition } from '../../examples/shop/gen/nice/graylane/shop/v1/pricing.js';

describe('rollbackGuardClientMiddleware (nice-grpc)', () => {
  const registry = createStaticRegistry([{ service: 'pricing', address: '127.0.0.1:1', stage: 'canary' }]);
  let failCanary = false;
  let server: ReturnType<typeof createServer>;
  let channel: Channel;
  let address: string;

  beforeAll(async () => {
    server = createServer().use(grayServerMiddleware());
    server.add(PricingDefinition, {
      async quote() {
        const stage = getReleaseStage();
        if (stage === 'canary' && failCanary) throw new ServerError(Status.INTERNAL, 'canary broke');
        return { totalCents: 1, servedBy: { service: 'pricing', instance: 'p-1', instanceStage: stage, requestStage: stage } };
      },
    });
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
    channel = createChannel(address);
  });
  afterAll(async () => {
    channel.close();
    await server.shutdown();
    await registry.close();
  });

  it('records canary calls (from the context or explicit metadata) and trips on failures', async () => {
    const guard = createRollbackGuard({ registry, service: 'pricing', minSamples: 10 });
    const trips: RollbackTripEvent[] = [];
    guard.on('trip', (e: RollbackTripEvent) => trips.push(e));
    const client = createClientFactory().use(rollbackGuardClientMiddleware(guard)).use(grayClientMiddleware()).create(PricingDefinition, channel);
    const quote = { sku: 'tea', quantity: 1 };

    failCanary = true;
    for (let i = 0; i < 30; i++) await client.quote(quote); // stable: not recorded
    expect(guard.state).toBe('watching');
    failCanary = false;
    for (let i = 0; i < 10; i++) await runWithStage('canary', () => client.quote(quote));
    for (let i = 0; i < 10; i++) await client.quote(quote, { metadata: Metadata({ 'x-release-stage': 'canary' }) });
    expect(guard.state).toBe('watching');
    failCanary = true;
    await expect(runWithStage('canary', () => client.quote(quote))).rejects.toMatchObject({ code: Status.INTERNAL });
    expect(guard.state).toBe('tripped');
    expect(trips[0]).toMatchObject({ stage: 'canary', reason: 'error-rate', samples: 21, errors: 1 });
    await new Promise<void>((r) => (guard.stageDisabled ? r() : guard.once('disabled', () => r())));
    expect(registry.getService('pricing').rules.disabledStages).toEqual(['canary']);
    await guard.resume();
    failCanary = false;
  });

  it('counts an aborted call as CANCELLED through isFailure', async () => {
    const seen: Status[] = [];
    const guard = createRollbackGuard({ registry, service: 'pricing', minSamples: 1000, capacity: 1000 });
    const client = createClientFactory()
      .use(rollbackGuardClientMiddleware(guard, { isFailure: (code) => (seen.push(code), code !== Status.OK) }))
      .use(grayClientMiddleware())
      .create(PricingDefinition, channel);
    const controller = new AbortController();
    controller.abort();
    await expect(runWithStage('canary', () => client.quote({ sku: 'tea', quantity: 1 }, { signal: controller.signal }))).rejects.toMatchObject({ name: 'AbortError' });
    await runWithStage('canary', () => client.quote({ sku: 'tea', quantity: 1 }));
    expect(seen).toEqual([Status.CANCELLED, Status.OK]);
  });

  it('rejects a non-guard and a non-function isFailure', () => {
    const guard = createRollbackGuard({ registry, service: 'pricing' });
    expect(() => rollbackGuardClientMiddleware({} as never)).toThrow(GrayConfigError);
    expect(() => rollbackGuardClientMiddleware(guard, { isFailure: 1 as never })).toThrow(/isFailure/);
  });
});
