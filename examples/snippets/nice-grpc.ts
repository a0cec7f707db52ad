// nice-grpc: the server middleware first, the client middleware last (nice-grpc's order).
import { createChannel, createClientFactory, createServer } from 'nice-grpc';
import { getReleaseStage } from 'graylane';
import { grayClientMiddleware, grayServerMiddleware } from 'graylane/nice-grpc';
import { PricingDefinition } from '../shop/gen/nice/graylane/shop/v1/pricing.js'; // your ts-proto output

const server = createServer().use(grayServerMiddleware());
server.add(PricingDefinition, {
  async quote(req, context) {
    // context.gray is what the middleware decided; getReleaseStage() reads the same context.
    const cents = req.quantity * (context.gray.stage === 'canary' ? 90 : 100);
    return { totalCents: cents, servedBy: { service: 'pricing', instance: 'p-1', instanceStage: 'stable', requestStage: getReleaseStage() } };
  },
});
const port = await server.listen('127.0.0.1:0');
const pricing = createClientFactory().use(grayClientMiddleware()).create(PricingDefinition, createChannel(`127.0.0.1:${port}`));
// Every call made inside a request's context carries its stage on.
console.log((await pricing.quote({ sku: 'tea', quantity: 1 })).totalCents);
await server.shutdown();
