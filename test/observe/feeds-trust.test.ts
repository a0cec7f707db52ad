/**
 * Guard, metric and trace feeds never count a stage the edge did not decide. Mounted before the
 * graylane edge (HTTP middleware, grpc-js server interceptor, nice-grpc server middleware) they do
 * not see its decision, and they then record the default stage — never the caller's raw claim.
 * Real node:http, grpc-js and nice-grpc servers; a real (static) registry for the guard.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { createChannel, createClientFactory, createServer as createNiceServer, Metadata } from 'nice-grpc';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { getReleaseStage, runWithStage } from '../../src/index.js';
import { grayHttpMiddleware } from '../../src/http/index.js';
import { grayClientInterceptor, grayServerInterceptor } from '../../src/grpc-js/index.js';
import { grayClientMiddleware, grayServerMiddleware } from '../../src/nice-grpc/index.js';
import { createRollbackGuard, readHopTrace } from 'graylane/observe';
import { grayHopTraceServerInterceptor, grayServerMetricsInterceptor, rollbackGuardClientInterceptor, withHopTrace } from 'graylane/observe/grpc-js';
import { grayHttpMetricsMiddleware, rollbackGuardHttpMiddleware } from 'graylane/observe/http';
import { grayServerMetricsMiddleware, rollbackGuardClientMiddleware } from 'graylane/observe/nice-grpc';
import { createStaticRegistry } from '../../src/routing/index.js';
import { PricingDefinition } from '../../examples/shop/gen/nice/graylane/shop/v1/pricing.js';
import { hopClient, type HopClient } from '../helpers/grpc.js';
import { sumBy } from '../helpers/prom.js';
import { stageMetadata, startHop, stopHops, unaryWithStatus } from './chain.js';

type Mw = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** A node:http server running `chain` in order, then a handler failing every request that claims canary. */
async function httpServer(chain: Mw[]): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const run = (i: number): void => {
      if (i < chain.length) return chain[i]!(req, res, () => run(i + 1));
      res.statusCode = req.headers['x-release-stage'] === 'canary' ? 503 : 200;
      res.end(getReleaseStage());
    };
    run(0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function send(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.text() };
}

describe('HTTP feeds mounted before the edge', () => {
  it('40 failing untrusted canary claims do not trip the rollback guard', async () => {
    const registry = createStaticRegistry([{ service: 'web', address: '127.0.0.1:1', stage: 'canary' }]);
    const guard = createRollbackGuard({ registry, service: 'web' });
    const http = await httpServer([rollbackGuardHttpMiddleware(guard), grayHttpMiddleware()]);
    try {
      for (let i = 0; i < 40; i++) {
        // The edge distrusts the claim (the handler runs as stable), the handler still fails it.
        expect(await send(http.url, { 'x-release-stage': 'canary' })).toEqual({ status: 503, body: 'stable' });
      }
      expect(guard.state).toBe('watching');
      expect(registry.getService('web').rules.disabledStages).toEqual([]);
    } finally {
      await http.close();
      await registry.close();
    }
  });

  it('the metrics middleware labels an untrusted claim with the default stage', async () => {
    const promRegistry = new Registry();
    const http = await httpServer([grayHttpMetricsMiddleware({ registry: promRegistry }), grayHttpMiddleware()]);
    try {
      for (let i = 0; i < 5; i++) await send(http.url, { 'x-release-stage': 'canary' });
      expect(await sumBy(promRegistry, 'http_requests_total', 'release_stage')).toEqual({ stable: 5 });
    } finally {
      await http.close();
    }
  });
});

describe('gRPC feeds listed before the server interceptor', () => {
  it('grpc-js server metrics and the hop trace record the default stage, not the caller\'s claim', async () => {
    const promRegistry = new Registry();
    const hop = await startHop({
      name: 'edge',
      serverInterceptors: [
        grayServerMetricsInterceptor({ registry: promRegistry }),
        grayHopTraceServerInterceptor({ service: 'edge', instance: 'edge-1' }),
        grayServerInterceptor({ trustIncoming: false }),
      ],
    });
    const client: HopClient = hopClient(hop.server.address);
    try {
      for (let i = 0; i < 4; i++) {
        const { reply, status } = await unaryWithStatus(client, { id: `u${i}` }, withHopTrace(stageMetadata('canary')));
        expect(reply?.hops[0]?.stage).toBe('stable'); // what the edge decided
        expect(readHopTrace(status)).toMatchObject({ status: 'ok', hops: [{ service: 'edge', stage: 'stable', explicit: false }] });
      }
      expect(await sumBy(promRegistry, 'grpc_server_handled_total', 'release_stage')).toEqual({ stable: 4 });
    } finally {
      client.close();
      await stopHops([hop]);
    }
  });

  it('nice-grpc server metrics record the default stage, not the caller\'s claim', async () => {
    const promRegistry = new Registry();
    const server = createNiceServer().use(grayServerMetricsMiddleware({ registry: promRegistry })).use(grayServerMiddleware({ trustIncoming: false }));
    server.add(PricingDefinition, {
      async quote() {
        const stage = getReleaseStage();
        return { totalCents: 1, servedBy: { service: 'pricing', instance: 'p-1', instanceStage: stage, requestStage: stage } };
      },
    });
    const channel = createChannel(`127.0.0.1:${await server.listen('127.0.0.1:0')}`);
    try {
      const client = createClientFactory().create(PricingDefinition, channel);
      for (let i = 0; i < 3; i++) {
        const reply = await client.quote({ sku: 'tea', quantity: 1 }, { metadata: Metadata({ 'x-release-stage': 'canary' }) });
        expect(reply.servedBy?.requestStage).toBe('stable');
      }
      expect(await sumBy(promRegistry, 'grpc_server_handled_total', 'release_stage')).toEqual({ stable: 3 });
    } finally {
      channel.close();
      await server.shutdown();
    }
  });
});

describe('calls the caller gave up on are not canary failures', () => {
  it('grpc-js: 25 canary calls cancelled by their caller do not trip the guard (default isFailure)', async () => {
    const registry = createStaticRegistry([{ service: 'hop', address: '127.0.0.1:1', stage: 'canary' }]);
    const guard = createRollbackGuard({ registry, service: 'hop' });
    // The caller cancels each call (say, the upstream request it served was abandoned by its client).
    const hop = await startHop({ name: 'canary-1', serverInterceptors: [grayServerInterceptor()] });
    const client: HopClient = hopClient(hop.server.address, { interceptors: [rollbackGuardClientInterceptor(guard), grayClientInterceptor()] });
    try {
      for (let i = 0; i < 25; i++) {
        const status = await runWithStage('canary', () => new Promise<grpc.StatusObject>((resolve) => {
          const call = client.serverStream({ id: `c${i}`, count: 1 });
          call.on('error', () => {});
          call.on('status', resolve);
          call.cancel();
        }));
        expect(status.code).toBe(grpc.status.CANCELLED);
      }
      expect(guard.state).toBe('watching');
    } finally {
      client.close();
      await stopHops([hop]);
      await registry.close();
    }
  });

  it('nice-grpc: 25 aborted canary calls do not trip the guard (default isFailure)', async () => {
    const registry = createStaticRegistry([{ service: 'pricing', address: '127.0.0.1:1', stage: 'canary' }]);
    const guard = createRollbackGuard({ registry, service: 'pricing' });
    const server = createNiceServer().use(grayServerMiddleware());
    server.add(PricingDefinition, {
      async quote() {
        const stage = getReleaseStage();
        return { totalCents: 1, servedBy: { service: 'pricing', instance: 'p-1', instanceStage: stage, requestStage: stage } };
      },
    });
    const channel = createChannel(`127.0.0.1:${await server.listen('127.0.0.1:0')}`);
    try {
      const client = createClientFactory().use(rollbackGuardClientMiddleware(guard)).use(grayClientMiddleware()).create(PricingDefinition, channel);
      for (let i = 0; i < 25; i++) {
        const controller = new AbortController();
        controller.abort();
        await expect(runWithStage('canary', () => client.quote({ sku: 'tea', quantity: 1 }, { signal: controller.signal }))).rejects.toMatchObject({ name: 'AbortError' });
      }
      expect(guard.state).toBe('watching');
    } finally {
      channel.close();
      await server.shutdown();
      await registry.close();
    }
  });
});
