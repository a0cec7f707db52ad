// orders — a grpc-js service loaded with @grpc/proto-loader (no codegen). Calls inventory through
// graylane routing (`graylane:///inventory`) with grayClientInterceptor carrying the stage.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { getReleaseStage } from 'graylane';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import { listen, type Instance } from './listen.js';

const load = (file: string) => {
  const path = createRequire(import.meta.url).resolve(`graylane/protos/graylane/shop/v1/${file}`);
  const root = createRequire(import.meta.url).resolve('graylane/protos/graylane/hop/v1/hop.proto').replace(/graylane\/hop\/v1\/hop\.proto$/, '');
  return grpc.loadPackageDefinition(protoLoader.loadSync(path, { includeDirs: [root], longs: Number, defaults: true })) as any;
};

export async function startOrders(
  instance: string, stage: string,
  options: { serverInterceptors?: grpc.ServerInterceptor[]; clientInterceptors?: grpc.Interceptor[] } = {},
): Promise<Instance> {
  const shop = load('orders.proto').graylane.shop.v1;
  const Inventory = load('inventory.proto').graylane.shop.v1.Inventory;
  const inventory = new Inventory('graylane:///inventory', grpc.credentials.createInsecure(), {
    interceptors: [grayClientInterceptor(), ...(options.clientInterceptors ?? [])],
  });

  const server = new grpc.Server({ interceptors: [grayServerInterceptor(), ...(options.serverInterceptors ?? [])] });
  server.addService(shop.Orders.service, {
    PlaceOrder(call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) {
      const me = { service: 'orders', instance, instanceStage: stage, requestStage: getReleaseStage() };
      const { orderId, sku, quantity } = call.request;
      inventory.Reserve({ orderId, sku, quantity }, (err: grpc.ServiceError | null, reply: any) => {
        if (err) return callback(err);
        callback(null, { orderId, totalCents: reply.totalCents, servedBy: [me, reply.servedBy, ...reply.downstream] });
      });
    },
  });
  const running = await listen(server, 'orders', instance, stage);
  return { ...running, stop: () => { inventory.close(); running.stop(); } };
}
