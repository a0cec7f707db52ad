// Observability: the stage on every log line and metric, a per-hop trace, and a rollback guard.
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createRollbackGuard, grayPinoMixin } from 'graylane/observe';
import { grayGrpcClientStack, grayGrpcServerStack } from 'graylane/observe/grpc-js';
import { createFileRegistry } from 'graylane/routing';

export const logger = pino({ mixin: grayPinoMixin() }); // {"stage":"canary",…} on every line
const metrics = new Registry();
// One interceptor per side: the gray context, metrics and the hop trace, in the right order, in one layer.
export const server = new grpc.Server({
  interceptors: [grayGrpcServerStack({ metrics: { registry: metrics }, hopTrace: { service: 'orders' } })],
});
// Disables the canary of shop.Pricing in the registry when its error rate or p99 breaches the limits.
const guard = createRollbackGuard({ registry: createFileRegistry('registry.json'), service: 'shop.Pricing' });
export const pricingClientOptions = { interceptors: [grayGrpcClientStack({ metrics: { registry: metrics }, hopTrace: true, guard })] };
