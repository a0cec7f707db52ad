// Observability: the stage on every log line and metric, a per-hop trace, and a rollback guard.
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import { createRollbackGuard, grayPinoMixin } from 'graylane/observe';
import { grayHopTraceServerInterceptor, grayServerMetricsInterceptor, rollbackGuardClientInterceptor } from 'graylane/observe/grpc-js';
import { createFileRegistry } from 'graylane/routing';

export const logger = pino({ mixin: grayPinoMixin() }); // {"stage":"canary",…} on every line
const metrics = new Registry();
export const server = new grpc.Server({
  interceptors: [grayServerInterceptor(), grayServerMetricsInterceptor({ registry: metrics }), grayHopTraceServerInterceptor({ service: 'orders' })],
});
// Disables the canary of shop.Pricing in the registry when its error rate or p99 breaches the limits.
const guard = createRollbackGuard({ registry: createFileRegistry('registry.json'), service: 'shop.Pricing' });
export const pricingClientOptions = { interceptors: [grayClientInterceptor(), rollbackGuardClientInterceptor(guard)] };
