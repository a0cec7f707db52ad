// pricing — a grpc-js service built on ts-proto generated code (examples/shop/gen/grpc-js). The leaf of the chain.
// A canary instance prices differently; `setFailing(true)` makes it fail calls (the rollback drill).
import * as grpc from '@grpc/grpc-js';
import { getReleaseStage } from 'graylane';
import { grayServerInterceptor } from 'graylane/grpc-js';
import { PricingService, type PricingServer } from './gen/grpc-js/graylane/shop/v1/pricing.js';
import { listen, type Instance } from './listen.js';

export interface PricingInstance extends Instance { setFailing(failing: boolean): void }

export async function startPricing(instance: string, stage: string, extra: grpc.ServerInterceptor[] = []): Promise<PricingInstance> {
  let failing = false;
  const impl: PricingServer = {
    quote(call, callback) {
      if (failing) return callback({ code: grpc.status.INTERNAL, message: `${instance} is failing (injected)` });
      const unitCents = stage === 'canary' ? 1_150 : 1_200; // the canary's new pricing
      callback(null, {
        totalCents: unitCents * call.request.quantity,
        servedBy: { service: 'pricing', instance, instanceStage: stage, requestStage: getReleaseStage() },
      });
    },
  };
  const server = new grpc.Server({ interceptors: [grayServerInterceptor(), ...extra] });
  server.addService(PricingService, impl);
  return { ...(await listen(server, 'pricing', instance, stage)), setFailing: (f) => { failing = f; } };
}
