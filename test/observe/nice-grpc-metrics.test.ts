/**
 * Per-stage metrics for nice-grpc: grayServerMetricsMiddleware and grayClientMetricsMiddleware on a
 * real nice-grpc server and client record the same go-grpc-prometheus names and labels as the grpc-js
 * interceptors, per stage and code, with a bounded stage label when clients send junk.
 */
import { createChannel, createClientFactory, createServer, Metadata, ServerError, Status, type Channel } from 'nice-grpc';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError, getReleaseStage, runWithStage } from '../../src/index.js';
import { grayClientMiddleware, grayServerMiddleware } from '../../src/nice-grpc/index.js';
import { grayClientMetricsMiddleware, grayServerMetricsMiddleware } from 'graylane/observe/nice-grpc';
import { PricingDefinition } from '../../examples/shop/gen/nice/graylane/shop/v1/pricing.js';
import { sumBy } from '../helpers/prom.js';

describe('nice-grpc per-stage metrics', () => {
  const serverRegistry = new Registry();
  const clientRegistry = new Registry();
  let server: ReturnType<typeof createServer>;
  let channel: Channel;

  beforeAll(async () => {
    server = createServer().use(grayServerMiddleware()).use(grayServerMetricsMiddleware({ registry: serverRegistry }));
    server.add(PricingDefinition, {
      async quote(req) {
        if (req.sku === 'broken') throw new ServerError(Status.UNAVAILABLE, 'down');
        if (req.sku === 'bug') throw new Error('not a ServerError');
        const stage = getReleaseStage();
        return { totalCents: 1, servedBy: { service: 'pricing', instance: 'p-1', instanceStage: stage, requestStage: stage } };
      },
    });
    channel = createChannel(`127.0.0.1:${await server.listen('127.0.0.1:0')}`);
  });
  afterAll(async () => {
    channel.close();
    await server.shutdown();
  });

  it('counts server and client calls per stage and code; junk stages are labelled other', async () => {
    const client = createClientFactory().use(grayClientMetricsMiddleware({ registry: clientRegistry })).use(grayClientMiddleware()).create(PricingDefinition, channel);
    const ok = { sku: 'tea', quantity: 1 };
    const settle = (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e);
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) calls.push(runWithStage('canary', () => client.quote(ok)));
    for (let i = 0; i < 2; i++) calls.push(settle(runWithStage('canary', () => client.quote({ sku: 'broken', quantity: 1 }))));
    calls.push(settle(runWithStage('canary', () => client.quote({ sku: 'bug', quantity: 1 }))));
    for (let i = 0; i < 4; i++) calls.push(client.quote(ok));
    // Junk is explicit metadata straight from a caller: the server's policy drops it (default stage);
    // the client labels what it could not accept as its context's stage (stable here).
    for (const junk of ['Z'.repeat(100), '../x', 'CANARY', 'blue']) calls.push(client.quote(ok, { metadata: Metadata({ 'x-release-stage': junk }) }));
    await Promise.all(calls);

    const server = await sumBy(serverRegistry, 'grpc_server_handled_total', 'release_stage');
    // 'CANARY' is read as canary; 'blue' is a valid stage outside the label set: other.
    expect(server).toEqual({ canary: 6 + 2 + 1 + 1, stable: 4 + 2, other: 1 });
    expect(await sumBy(serverRegistry, 'grpc_server_handled_total', 'grpc_code', { release_stage: 'canary' })).toEqual({ OK: 7, UNAVAILABLE: 2, UNKNOWN: 1 });
    expect(await sumBy(serverRegistry, 'grpc_server_handling_seconds', 'release_stage')).toEqual(server);
    const text = await serverRegistry.metrics();
    expect(text).toContain('grpc_server_handled_total{grpc_type="unary",grpc_service="graylane.shop.v1.Pricing",grpc_method="Quote",grpc_code="UNAVAILABLE",release_stage="canary"} 2');

    const clientSide = await sumBy(clientRegistry, 'grpc_client_handled_total', 'release_stage');
    expect(clientSide).toEqual(server);
    expect(await sumBy(clientRegistry, 'grpc_client_handled_total', 'grpc_code', { release_stage: 'canary' })).toEqual({ OK: 7, UNAVAILABLE: 2, UNKNOWN: 1 });
  });

  it('rejects a missing registry with GrayConfigError', () => {
    expect(() => grayServerMetricsMiddleware({} as never)).toThrow(GrayConfigError);
    expect(() => grayClientMetricsMiddleware({ registry: new Registry(), stages: ['Bad!'] })).toThrow(GrayConfigError);
  });
});
