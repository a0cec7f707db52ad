// inventory — a nice-grpc service on ts-proto definitions (examples/shop/gen/nice). Calls pricing through
// graylane routing: the channel target `graylane:///pricing` picks a pricing instance of the call's stage.
import { ClientError, ServerError, createChannel, createClientFactory, createServer, type CallContext, type ClientMiddleware, type ServerMiddleware } from 'nice-grpc';
import { getReleaseStage } from 'graylane';
import { grayClientMiddleware, grayServerMiddleware } from 'graylane/nice-grpc';
import { InventoryDefinition, type InventoryServiceImplementation } from './gen/nice/graylane/shop/v1/inventory.js';
import { PricingDefinition } from './gen/nice/graylane/shop/v1/pricing.js';
import type { Instance } from './listen.js';

export async function startInventory(
  instance: string, stage: string,
  serverMiddleware: ServerMiddleware[] = [], clientMiddleware: ClientMiddleware[] = [],
): Promise<Instance> {
  const channel = createChannel('graylane:///pricing');
  // nice-grpc runs the last-added client middleware first: graylane's goes last so the others see the stage.
  const factory = clientMiddleware.reduce((f, m) => f.use(m), createClientFactory());
  const pricing = factory.use(grayClientMiddleware()).create(PricingDefinition, channel);
  const stock = new Map<string, number>();

  const impl: InventoryServiceImplementation = {
    async reserve(request, _context: CallContext) {
      const left = (stock.get(request.sku) ?? 1_000) - request.quantity;
      stock.set(request.sku, left);
      // A failed downstream call is reported with its own code, not as an unknown server error.
      const quote = await pricing.quote({ sku: request.sku, quantity: request.quantity }).catch((err: unknown) => {
        throw err instanceof ClientError ? new ServerError(err.code, `pricing: ${err.details}`) : err;
      });
      return {
        reserved: left >= 0,
        remaining: left,
        totalCents: quote.totalCents,
        servedBy: { service: 'inventory', instance, instanceStage: stage, requestStage: getReleaseStage() },
        downstream: quote.servedBy ? [quote.servedBy] : [],
      };
    },
    async *watchStock(request) {
      for (let i = 0; i < Math.max(1, request.count); i++) {
        yield { sku: request.sku, available: stock.get(request.sku) ?? 1_000,
          servedBy: { service: 'inventory', instance, instanceStage: stage, requestStage: getReleaseStage() } };
      }
    },
  };

  // graylane's middleware first (outermost): the others (e.g. the hop trace) run inside the request's context.
  const server = serverMiddleware.reduce((s, m) => s.use(m), createServer().use(grayServerMiddleware()));
  server.add(InventoryDefinition, impl);
  const port = await server.listen('127.0.0.1:0');
  return {
    service: 'inventory', instance, stage, address: `127.0.0.1:${port}`,
    stop: () => { channel.close(); void server.forceShutdown(); },
  };
}
