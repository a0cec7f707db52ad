// gateway — the HTTP edge (plain node:http). Decides each request's stage: a QA token admits a
// client-sent stage; otherwise coloring rules put a stable percentage of users on the canary.
// Then calls orders; grayClientInterceptor carries the stage into the gRPC chain.
import * as grpc from '@grpc/grpc-js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createColoringRules, getReleaseStage, type ColoringRule } from 'graylane';
import { grayClientInterceptor } from 'graylane/grpc-js';
import { grayHttpHandler } from 'graylane/http';
import { HOPS_TRAILER_KEY, readHopTrace } from 'graylane/observe';
import { rolloutPercentIn, stageEnabledIn, type GrayRolloutRegistry } from 'graylane/routing';
import { loadShopProto } from './load-proto.js';

export const QA_TOKEN = 'qa-demo-token';

/** The rollout the ramp drill drives (its share lives in the registry). */
export const RAMP_ROLLOUT = 'shop-ramp';

/**
 * Canary for 20 % of users (by x-user-id), stable for the rest. Plain data: could come from a registry.
 * Requests under /ramp/ (the ramp drill) are colored by the registry rollout's share instead.
 */
export const COLORING_RULES: ColoringRule[] = [
  { name: 'ramp', stage: 'canary', match: { pathPrefix: '/ramp/' }, rollout: { rollout: RAMP_ROLLOUT, header: 'x-user-id' } },
  { name: 'ramp-rest', stage: 'stable', match: { pathPrefix: '/ramp/' } },
  { name: 'canary-20pct', stage: 'canary', rollout: { percent: 20, header: 'x-user-id', salt: 'shop-2026' } },
];

export interface Gateway { url: string; stop(): Promise<void> }

export async function startGateway(registry: GrayRolloutRegistry, options: { clientInterceptors?: grpc.Interceptor[] } = {}): Promise<Gateway> {
  const { Orders } = loadShopProto('orders.proto').graylane.shop.v1;
  const orders = new Orders('graylane:///orders', grpc.credentials.createInsecure(), {
    interceptors: [grayClientInterceptor(), ...(options.clientInterceptors ?? [])],
  });

  const server: Server = createServer(grayHttpHandler((request, response) => {
    if (request.url === '/healthz') return void response.end('ok');
    const md = new grpc.Metadata();
    const trace = request.headers['x-gray-trace'];
    if (typeof trace === 'string') md.set('x-gray-trace', trace);
    const sku = new URL(request.url ?? '/', 'http://gateway').searchParams.get('sku') ?? 'book';
    let result: { err: grpc.ServiceError | null; reply: any } | undefined;
    let status: grpc.StatusObject | undefined;
    const respond = () => {
      if (!result || !status) return; // the callback and the trailers ('status') both arrive
      response.setHeader('content-type', 'application/json');
      const trace = readHopTrace(status);
      // Pass the hop trace on to HTTP callers too (graylane trace http://… reads this header).
      const hops = status.metadata.get(HOPS_TRAILER_KEY)[0];
      if (typeof hops === 'string') response.setHeader(HOPS_TRAILER_KEY, hops);
      if (result.err) {
        response.statusCode = 502;
        return void response.end(JSON.stringify({ error: result.err.message, stage: getReleaseStage() }));
      }
      response.end(JSON.stringify({ stage: getReleaseStage(), totalCents: result.reply.totalCents, servedBy: result.reply.servedBy, trace }));
    };
    const call = orders.PlaceOrder({ orderId: `o-${Date.now()}`, sku, quantity: 1 }, md, (err: grpc.ServiceError | null, reply: any) => {
      result = { err, reply };
      respond();
    });
    call.on('status', (s: grpc.StatusObject) => {
      status = s;
      respond();
    });
  }, {
    stages: ['stable', 'canary'],
    trust: { tokenHeader: 'x-gray-token', tokens: [QA_TOKEN] },
    // A stage the rollback guard disabled anywhere in the chain is no longer colored into.
    // A named rollout's share is read from the registry on every request (hot, like routing rules).
    rules: createColoringRules(COLORING_RULES, { isStageEnabled: stageEnabledIn(registry, ['orders', 'inventory', 'pricing']), rolloutPercent: rolloutPercentIn(registry) }),
    echoStage: true,
  }));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((ok) => { orders.close(); server.closeAllConnections(); server.close(() => ok()); }),
  };
}
