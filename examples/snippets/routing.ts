// Routing: register once, then dial graylane:///<service>; each call goes to an instance of its stage.
import * as grpc from '@grpc/grpc-js';
import { grayClientInterceptor } from 'graylane/grpc-js';
import { createFileRegistry, registerGrayRouting } from 'graylane/routing';

// registry.json: { "instances": [{ "service": "shop.Pricing", "address": "10.0.0.7:50051", "stage": "canary" }, …],
//                  "rules": { "shop.Pricing": { "fallback": "permissive" } } } — edited at run time, hot-reloaded.
const registry = createFileRegistry('registry.json');
registerGrayRouting({ registry });
const Pricing = grpc.makeGenericClientConstructor({}, 'Pricing');
export const pricing = new Pricing('graylane:///shop.Pricing', grpc.credentials.createInsecure(), {
  interceptors: [grayClientInterceptor()],
});
