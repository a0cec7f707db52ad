/** A nice-grpc server with grayServerMiddleware({ resolve: coloringResolver(...) }) for the path test. */
import { createChannel, createClient, createServer } from 'nice-grpc';
import { coloringResolver, getReleaseStage, type ColoringRules, type GrayPolicy } from '../../src/index.js';
import { grayServerMiddleware, niceMetadataCarrier } from '../../src/nice-grpc/index.js';
import { PricingDefinition } from '../../examples/shop/gen/nice/graylane/shop/v1/pricing.js';

export interface NiceHarness { stageOf(sku: string): Promise<string>; close(): Promise<void> }

export async function nice(policy: GrayPolicy, rules: ColoringRules): Promise<NiceHarness> {
  const server = createServer().use(grayServerMiddleware({ policy, resolve: coloringResolver(rules, niceMetadataCarrier, policy) }));
  server.add(PricingDefinition, {
    async quote() {
      return { totalCents: 0, servedBy: { service: 'pricing', instance: 'p', instanceStage: 'stable', requestStage: getReleaseStage() } };
    },
  });
  const port = await server.listen('127.0.0.1:0');
  const channel = createChannel(`127.0.0.1:${port}`);
  const client = createClient(PricingDefinition, channel);
  return {
    stageOf: async (sku) => (await client.quote({ sku, quantity: 1 })).servedBy!.requestStage,
    close: async () => { channel.close(); await server.shutdown(); },
  };
}
