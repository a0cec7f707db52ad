// orders — a grpc-js service loaded with @grpc/proto-loader (no codegen). Calls inventory through
// graylane routing (`graylane:///inventory`) with grayClientInterceptor carrying the stage.
import * as grpc from '@grpc/grpc-js';
import { getReleaseStage } from 'graylane';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import { listen, type Instance } from './listen.js';
import { loadShopProto } from './load-proto.js';

export async function startOrders(
  instance: string, stage: string,
  options: {
    serverInterceptors?: grpc.ServerInterceptor[]; clientInterceptors?: grpc.Interceptor[];
    /** Called inside each PlaceOrder, in its gray context (the demo's queue hop publishes an event). */
    onPlaced?: (order: { orderId: string }) => Promise<void>;
  } = {},
): Promise<Instance> {
  const shop = loadShopProto('orders.proto').graylane.shop.v1;
  const Inventory = loadShopProto('inventory.proto').graylane.shop.v1.Inventory;
  const inventory = new Inventory('graylane:///inventory', grpc.credentials.createInsecure(), {
    interceptors: [grayClientInterceptor(), ...(options.clientInterceptors ?? [])],
  });

  const server = new grpc.Server({ interceptors: [grayServerInterceptor(), ...(options.serverInterceptors ?? [])] });
  server.addService(shop.Orders.service, {
    PlaceOrder(call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) {
      const me = { service: 'orders', instance, instanceStage: stage, requestStage: getReleaseStage() };
      const { orderId, sku, quantity } = call.request;
      const placed = options.onPlaced?.({ orderId });
      inventory.Reserve({ orderId, sku, quantity }, (err: grpc.ServiceError | null, reply: any) => {
        if (err) return callback(err);
        void Promise.resolve(placed).finally(() =>
          callback(null, { orderId, totalCents: reply.totalCents, servedBy: [me, reply.servedBy, ...reply.downstream] }));
      });
    },
  });
  const running = await listen(server, 'orders', instance, stage);
  return { ...running, stop: () => { inventory.close(); running.stop(); } };
}
