/**
 * The example shop's ts-proto generated code of both flavours (examples/shop/gen/nice,
 * examples/shop/gen/grpc-js) works at runtime and across flavours, carries the stage, and is up to date
 * with protos/ and examples/shop/protos/ (the drift check).
 */
import * as grpc from '@grpc/grpc-js';
import { createChannel, createClientFactory, createServer, type Channel } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getReleaseStage, runWithStage } from '../../src/index.js';
import { grayClientInterceptor, grayServerInterceptor } from '../../src/grpc-js/index.js';
import { grayClientMiddleware, grayServerMiddleware } from '../../src/nice-grpc/index.js';
import * as gj from '../../examples/shop/gen/grpc-js/graylane/shop/v1/inventory.js';
import * as gjOrders from '../../examples/shop/gen/grpc-js/graylane/shop/v1/orders.js';
import { InventoryDefinition } from '../../examples/shop/gen/nice/graylane/shop/v1/inventory.js';
import { OrdersDefinition } from '../../examples/shop/gen/nice/graylane/shop/v1/orders.js';
import { drain } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const servedBy = (service: string, instance: string) => ({ service, instance, instanceStage: 'stable', requestStage: getReleaseStage() });

describe('generated code, both flavours', () => {
  let grpcServer: grpc.Server;
  let niceServer: ReturnType<typeof createServer>;
  let channel: Channel;
  let ordersClient: gjOrders.OrdersClient;

  beforeAll(async () => {
    // grpc-js flavour server: Inventory.
    grpcServer = new grpc.Server({ interceptors: [grayServerInterceptor()] });
    const inventory: gj.InventoryServer = {
      reserve(call, cb) {
        cb(null, gj.ReserveReply.create({ reserved: true, remaining: 10 - call.request.quantity, servedBy: servedBy('inventory', 'inventory-grpc-js') }));
      },
      watchStock(call) {
        for (let i = 0; i < call.request.count; i++) {
          call.write(gj.StockLevel.create({ sku: call.request.sku, available: 10 - i, servedBy: servedBy('inventory', 'inventory-grpc-js') }));
        }
        call.end();
      },
    };
    grpcServer.addService(gj.InventoryService, inventory);
    const port = await new Promise<number>((ok, fail) =>
      grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
    channel = createChannel(`127.0.0.1:${port}`);

    // nice-grpc flavour server: Orders.
    const server = createServer().use(grayServerMiddleware());
    server.add(OrdersDefinition, {
      async placeOrder(req, context) {
        return { orderId: req.orderId, totalCents: 100 * req.quantity, servedBy: [servedBy('orders', `orders-nice:${context.gray.stage}`)] };
      },
    });
    niceServer = server as unknown as ReturnType<typeof createServer>;
    const ordersPort = await server.listen('127.0.0.1:0');
    ordersClient = new gjOrders.OrdersClient(`127.0.0.1:${ordersPort}`, grpc.credentials.createInsecure(), { interceptors: [grayClientInterceptor()] });
  });
  afterAll(() => {
    ordersClient.close();
    channel.close();
    niceServer.forceShutdown();
    grpcServer.forceShutdown();
  });

  it('a nice-grpc client (nice flavour) calls a grpc-js server (grpc-js flavour): unary and server streaming', async () => {
    const client = createClientFactory().use(grayClientMiddleware()).create(InventoryDefinition, channel);
    const [reserved, levels] = await runWithStage('canary', () =>
      Promise.all([client.reserve({ orderId: 'o1', sku: 'tea', quantity: 3 }), drain(client.watchStock({ sku: 'tea', count: 3 }))]));
    expect(reserved).toMatchObject({ reserved: true, remaining: 7, servedBy: { instance: 'inventory-grpc-js', requestStage: 'canary' } });
    expect(levels.map((l) => [l.available, l.servedBy?.requestStage])).toEqual([[10, 'canary'], [9, 'canary'], [8, 'canary']]);
  });

  it('a grpc-js generated client calls a nice-grpc server', async () => {
    const reply = await runWithStage('blue', () => new Promise<gjOrders.PlaceOrderReply>((ok, fail) =>
      ordersClient.placeOrder(gjOrders.PlaceOrderRequest.create({ orderId: 'o2', sku: 'tea', quantity: 2 }), (e, r) => (e ? fail(e) : ok(r)))));
    expect(reply.totalCents).toBe(200);
    expect(reply.servedBy).toEqual([{ service: 'orders', instance: 'orders-nice:blue', instanceStage: 'stable', requestStage: 'blue' }]);
  });

  it('examples/shop/gen is up to date with the .proto files (scripts/proto.mjs --check)', () => {
    const out = execFileSync(process.execPath, ['scripts/proto.mjs', '--check'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(out).toMatch(/examples\/shop\/gen\/ is up to date \(10 files\)/);
  });
});
