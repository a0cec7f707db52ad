// Starts the whole example shop on loopback ephemeral ports and registers every instance:
//   gateway (HTTP) → orders (grpc-js) → inventory ×3 (nice-grpc; one canary) → pricing ×2 (grpc-js; one canary)
// Instances go into a file registry (default, a temp JSON file) or etcd (`etcd://host:port`).
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientMiddleware, ServerMiddleware } from 'nice-grpc';
import { Registry } from 'prom-client';
import { getReleaseStage } from 'graylane';
import { grayClientMetricsMiddleware, grayHopTraceClientMiddleware, grayHopTraceServerMiddleware, grayServerMetricsMiddleware } from 'graylane/observe/nice-grpc';
import { createRollbackGuard, type RollbackGuard } from 'graylane/observe';
import { grayClientMetricsInterceptor, grayHopTraceClientInterceptor, grayHopTraceServerInterceptor, grayServerMetricsInterceptor } from 'graylane/observe/grpc-js';
import { createEtcdRegistry, createFileRegistry, registerGrayRouting, type GrayInstance, type GrayRolloutRegistry } from 'graylane/routing';
import { startGateway, type Gateway } from './gateway.js';
import { startInventory } from './inventory.js';
import type { Instance } from './listen.js';
import { startOrders } from './orders.js';
import { startPricing, type PricingInstance } from './pricing.js';

export interface Shop {
  gateway: Gateway;
  instances: Instance[];
  pricingCanary: PricingInstance;
  registry: GrayRolloutRegistry;
  guard: RollbackGuard;
  /** The guards fed by inventory's calls to pricing (initially `[guard]`; the ramp drill swaps in its rollout's guard). */
  guardFeed: RollbackGuard[];
  registryKind: string;
  /** The registry file (file registry only), e.g. for `graylane explain --registry`. */
  registryPath: string | undefined;
  /** Per-stage metrics endpoints as `service=url` (with `metrics: true`; else `[]`), for `graylane dashboard --metrics`. */
  metrics: string[];
  stop(): Promise<void>;
}

export interface ShopOptions {
  /** `file` (default) or `etcd://host:port`. */
  registry?: string;
  /** Rollback guard settings for the canary pricing (the drill). */
  guard?: { window?: number; minSamples?: number; maxErrorRate?: number; maxP99Ms?: number };
  /** Called by orders inside each PlaceOrder, in its gray context (the queue hop, examples/shop/queue-hop.ts). */
  onOrderPlaced?: (order: { orderId: string }) => Promise<void>;
  /** Record graylane's per-stage gRPC metrics in every instance and serve each on its own loopback `/metrics` (the dashboard). Default `false`. */
  metrics?: boolean;
}

/** One instance's metrics: a prom-client registry served on http://127.0.0.1:<port>/metrics. */
async function serveMetrics(service: string, servers: Server[], urls: string[]): Promise<Registry | undefined> {
  const registry = new Registry();
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text), () => res.writeHead(500).end());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  servers.push(server);
  urls.push(`${service}=http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
  return registry;
}

/** Feeds the rollback guards in `guards` from inventory's nice-grpc client calls to pricing. */
function guardMiddleware(guards: RollbackGuard[]): ClientMiddleware {
  return async function* feed(call, options) {
    const stage = getReleaseStage();
    const started = performance.now();
    let ok = false;
    try {
      const result = yield* call.next(call.request, options);
      ok = true;
      return result;
    } finally {
      for (const guard of guards) guard.record(stage, ok, performance.now() - started);
    }
  };
}

export async function startShop(options: ShopOptions = {}): Promise<Shop> {
  const kind = options.registry ?? 'file';
  const cleanups: Array<() => unknown> = [];
  let registry: GrayRolloutRegistry;
  let announce: (instances: GrayInstance[]) => Promise<void>;
  let registryPath: string | undefined;
  if (kind === 'file') {
    const dir = mkdtempSync(join(tmpdir(), 'graylane-shop-'));
    const path = join(dir, 'registry.json');
    registryPath = path;
    const write = (instances: GrayInstance[], rules = {}) => writeFileSync(path, JSON.stringify({ instances, rules }, null, 2));
    write([]);
    const file = createFileRegistry(path);
    registry = file;
    announce = async (instances) => {
      write(instances);
      await file.reload();
    };
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  } else if (kind.startsWith('etcd://')) {
    // Each instance announces itself under a lease (kept alive); the registry watches the prefix.
    const etcd = createEtcdRegistry({ endpoints: `http://${kind.slice('etcd://'.length)}`, prefix: `/graylane-shop-${process.pid}` });
    registry = etcd;
    announce = async (instances) => {
      await etcd.ready();
      const registrations = await Promise.all(instances.map((i) => etcd.register(i)));
      cleanups.unshift(() => Promise.all(registrations.map((r) => r.close())));
      // Routing reads the local cache fed by the watch: wait (bounded) until every instance is visible.
      for (let i = 0; i < 100; i++) {
        const seen = ['orders', 'inventory', 'pricing'].reduce((n, svc) => n + etcd.getService(svc).instances.length, 0);
        if (seen >= instances.length) break;
        await new Promise((ok) => setTimeout(ok, 20));
      }
    };
  } else {
    throw new Error(`--registry must be 'file' or etcd://host:port, got ${kind}`);
  }
  const routing = registerGrayRouting({ registry });
  cleanups.unshift(() => routing.close(), () => registry.close());

  const guard = createRollbackGuard({ registry, service: 'pricing', stage: 'canary', ...options.guard });
  const trace = (service: string, instance: string) => [grayHopTraceServerInterceptor({ service, instance })];

  const guardFeed = [guard];
  // With `metrics`, every instance records graylane's per-stage metrics in its own registry, served on loopback.
  const metricsServers: Server[] = [];
  const metrics: string[] = [];
  const prom = (service: string) => (options.metrics ? serveMetrics(service, metricsServers, metrics) : Promise.resolve(undefined));
  const grpcServer = async (service: string, instance: string): Promise<grpc.ServerInterceptor[]> => {
    const registry = await prom(service);
    return [...trace(service, instance), ...(registry ? [grayServerMetricsInterceptor({ registry })] : [])];
  };
  const inventory = async (instance: string, stage: string) => {
    const registry = await prom('inventory');
    const server: ServerMiddleware[] = [grayHopTraceServerMiddleware({ service: 'inventory', instance }), ...(registry ? [grayServerMetricsMiddleware({ registry })] : [])];
    const client: ClientMiddleware[] = [guardMiddleware(guardFeed), ...(registry ? [grayClientMetricsMiddleware({ registry })] : []), grayHopTraceClientMiddleware()];
    return startInventory(instance, stage, server, client);
  };
  const pricingStable = await startPricing('pricing-1', 'stable', await grpcServer('pricing', 'pricing-1'));
  const pricingCanary = await startPricing('pricing-canary', 'canary', await grpcServer('pricing', 'pricing-canary'));
  const inventories = [
    await inventory('inventory-1', 'stable'),
    await inventory('inventory-2', 'stable'),
    await inventory('inventory-canary', 'canary'),
  ];
  const ordersProm = await prom('orders');
  const orders = await startOrders('orders-1', 'stable', {
    serverInterceptors: [...trace('orders', 'orders-1'), ...(ordersProm ? [grayServerMetricsInterceptor({ registry: ordersProm })] : [])],
    clientInterceptors: [grayHopTraceClientInterceptor(), ...(ordersProm ? [grayClientMetricsInterceptor({ registry: ordersProm })] : [])],
    onPlaced: options.onOrderPlaced,
  });
  const instances: Instance[] = [orders, ...inventories, pricingStable, pricingCanary];
  await announce(instances.map(({ service, address, stage }) => ({ service, address, stage })));
  const gatewayProm = await prom('gateway');
  const gateway = await startGateway(registry, {
    clientInterceptors: [grayHopTraceClientInterceptor(), ...(gatewayProm ? [grayClientMetricsInterceptor({ registry: gatewayProm })] : [])],
  });
  cleanups.push(() => Promise.all(metricsServers.map((m) => new Promise((ok) => { m.close(ok); m.closeAllConnections(); }))));

  let stopped = false;
  return {
    gateway, instances, pricingCanary, registry, guard, registryKind: kind, registryPath, guardFeed, metrics,
    async stop() {
      if (stopped) return;
      stopped = true;
      await gateway.stop();
      for (const i of instances) i.stop();
      for (const c of cleanups) await c();
    },
  };
}

export { grpc };
