// graylane + nice-grpc quick start: a client calls `orders`, which calls `pricing`; the stage set by
// the client reaches `pricing` without hand-written forwarding. Run: npx tsx quick-start.ts
import { createChannel, createClientFactory, createServer } from 'nice-grpc';
import { getReleaseStage, runWithStage } from 'graylane';
import { forwardGrayMetadata, grayClientMiddleware, grayServerMiddleware } from 'graylane/nice-grpc';
// ts-proto output (outputServices=nice-grpc,outputServices=generic-definitions,useExactTypes=false)
import { OrdersDefinition } from '../../examples/shop/gen/nice/graylane/shop/v1/orders.js';
import { PricingDefinition } from '../../examples/shop/gen/nice/graylane/shop/v1/pricing.js';

// 1. Clients: the middleware adds the current stage to every call's metadata (use it LAST:
//    nice-grpc runs the last-used client middleware first).
const clients = createClientFactory().use(grayClientMiddleware());

// 2. Servers: the middleware puts the incoming stage into the gray context of every call
//    (use it FIRST: nice-grpc runs the first-used server middleware first).
const pricing = createServer().use(grayServerMiddleware());
pricing.add(PricingDefinition, {
  async quote(req, context) {
    const servedBy = { service: 'pricing', instance: 'pricing-1', instanceStage: 'stable', requestStage: getReleaseStage() };
    return { totalCents: req.quantity * (context.gray.stage === 'canary' ? 90 : 100), servedBy };
  },
});
const pricingPort = await pricing.listen('127.0.0.1:0');
const pricingChannel = createChannel(`127.0.0.1:${pricingPort}`);
const pricingClient = clients.create(PricingDefinition, pricingChannel);

const orders = createServer().use(grayServerMiddleware());
orders.add(OrdersDefinition, {
  async placeOrder(req, context) {
    const ordersSaw = { service: 'orders', instance: 'orders-1', instanceStage: 'stable', requestStage: getReleaseStage() };
    // Implicit: grayClientMiddleware reads the gray context of this call.
    const quote = await pricingClient.quote({ sku: req.sku, quantity: req.quantity });
    // Explicit, for call sites without the middleware: forwardGrayMetadata(context).
    const again = await pricingClient.quote({ sku: req.sku, quantity: 1 }, { metadata: forwardGrayMetadata(context) });
    return { orderId: req.orderId, totalCents: quote.totalCents, servedBy: [ordersSaw, quote.servedBy!, again.servedBy!] };
  },
});
const ordersPort = await orders.listen('127.0.0.1:0');
const ordersChannel = createChannel(`127.0.0.1:${ordersPort}`);
const ordersClient = clients.create(OrdersDefinition, ordersChannel);

// 3. Call: runWithStage (or an incoming request's context) sets the stage for everything inside.
for (const stage of ['stable', 'canary']) {
  const reply = await runWithStage(stage, () => ordersClient.placeOrder({ orderId: `o-${stage}`, sku: 'tea', quantity: 2 }));
  console.log(`${stage}: ${reply.totalCents} cents;`, reply.servedBy.map((s) => `${s.service} saw ${s.requestStage}`).join(', '));
}

ordersChannel.close();
pricingChannel.close();
await orders.shutdown();
await pricing.shutdown();
