/**
 * A small real fleet for the dashboard tests: `shop.Front` (one stable instance) calls `shop.Pricing`
 * (stable + canary) through graylane routing over a file registry; every server records graylane's
 * per-stage metrics (Front also its outgoing calls) and the hop trace, each exposed on its own
 * `/metrics` HTTP endpoint. `failCanary` makes the canary Pricing answer INTERNAL. With `guard`, a
 * rollback guard made on the fleet's registry is fed by Front's client (rollbackGuardClientInterceptor).
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import type { RollbackGuard } from 'graylane/observe';
import { grayClientMetricsInterceptor, grayHopTraceClientInterceptor, grayHopTraceServerInterceptor, grayServerMetricsInterceptor, rollbackGuardClientInterceptor } from 'graylane/observe/grpc-js';
import { createFileRegistry, registerGrayRouting, type FileGrayRegistry, type GrayRouting } from 'graylane/routing';

const raw = (b: Buffer): Buffer => b;
/** A one-method service `/<name>/Call` with raw bytes in and out. */
function definition(name: string): grpc.ServiceDefinition {
  return {
    call: { path: `/${name}/Call`, requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw, originalName: 'call' },
  } as unknown as grpc.ServiceDefinition;
}

export interface LanesFleet {
  readonly registryPath: string;
  readonly registry: FileGrayRegistry;
  readonly front: string;
  /** Metrics endpoints as `service=url`. */
  readonly metrics: string[];
  failCanary: boolean;
  /** The guard made by the `guard` option, fed by Front's calls to Pricing (none without the option). */
  readonly guard: RollbackGuard | undefined;
  /** One call to Front with the stage; resolves with the gRPC status code. */
  call(stage: string): Promise<grpc.status>;
  close(): Promise<void>;
}

async function listenGrpc(server: grpc.Server): Promise<string> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return `127.0.0.1:${port}`;
}

async function serveMetrics(registry: Registry): Promise<http.Server> {
  const server = http.createServer((_req, res) => void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
const url = (s: http.Server): string => `http://127.0.0.1:${(s.address() as AddressInfo).port}/metrics`;

export async function startLanesFleet(scheme: string, options: { guard?: (registry: FileGrayRegistry) => RollbackGuard } = {}): Promise<LanesFleet> {
  const dir = mkdtempSync(join(tmpdir(), 'graylane-dashboard-'));
  const registryPath = join(dir, 'registry.json');
  const servers: grpc.Server[] = [];
  const httpServers: http.Server[] = [];
  const metrics: string[] = [];
  const fleet = { failCanary: false } as { failCanary: boolean };

  const instances: Array<{ service: string; address: string; stage: string }> = [];
  for (const stage of ['stable', 'canary']) {
    const prom = new Registry();
    const server = new grpc.Server({ interceptors: [grayServerInterceptor(), grayHopTraceServerInterceptor({ service: 'shop.Pricing', instance: `pricing-${stage}` }), grayServerMetricsInterceptor({ registry: prom })] });
    server.addService(definition('shop.Pricing'), {
      call(_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) {
        if (stage === 'canary' && fleet.failCanary) return cb({ code: grpc.status.INTERNAL, details: 'injected' });
        cb(null, Buffer.alloc(0));
      },
    });
    instances.push({ service: 'shop.Pricing', address: await listenGrpc(server), stage });
    servers.push(server);
    const m = await serveMetrics(prom);
    httpServers.push(m);
    metrics.push(`shop.Pricing=${url(m)}`);
  }
  writeFileSync(registryPath, JSON.stringify({ instances, rules: {} }, null, 2));
  const registry = createFileRegistry(registryPath, { pollIntervalMs: 200, debounceMs: 10 });
  const routing: GrayRouting = registerGrayRouting({ registry, scheme });

  const guard = options.guard?.(registry);
  const frontProm = new Registry();
  const pricing = new grpc.Client(routing.target('shop.Pricing'), grpc.credentials.createInsecure(), {
    interceptors: [grayClientInterceptor(), grayClientMetricsInterceptor({ registry: frontProm }), grayHopTraceClientInterceptor(), ...(guard ? [rollbackGuardClientInterceptor(guard)] : [])],
  });
  const frontServer = new grpc.Server({ interceptors: [grayServerInterceptor(), grayHopTraceServerInterceptor({ service: 'shop.Front', instance: 'front-1' }), grayServerMetricsInterceptor({ registry: frontProm })] });
  frontServer.addService(definition('shop.Front'), {
    call(_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) {
      pricing.makeUnaryRequest('/shop.Pricing/Call', raw, raw, Buffer.alloc(0), (err) => (err ? cb(err) : cb(null, Buffer.alloc(0))));
    },
  });
  const front = await listenGrpc(frontServer);
  servers.push(frontServer);
  const fm = await serveMetrics(frontProm);
  httpServers.push(fm);
  metrics.push(`shop.Front=${url(fm)}`);
  instances.push({ service: 'shop.Front', address: front, stage: 'stable' });
  writeFileSync(registryPath, JSON.stringify({ instances, rules: {} }, null, 2));
  await registry.reload();

  const client = new grpc.Client(front, grpc.credentials.createInsecure());
  return Object.assign(fleet, {
    registryPath,
    registry,
    guard,
    front,
    metrics,
    call(stage: string) {
      const md = new grpc.Metadata();
      md.set('x-release-stage', stage);
      return new Promise<grpc.status>((resolve) => {
        const call = client.makeUnaryRequest('/shop.Front/Call', raw, raw, Buffer.alloc(0), md, { deadline: Date.now() + 5000 }, () => undefined);
        call.on('status', (s: grpc.StatusObject) => resolve(s.code));
      });
    },
    async close() {
      client.close();
      pricing.close();
      routing.close();
      await registry.close();
      for (const s of servers) s.forceShutdown();
      for (const s of httpServers) await new Promise<void>((r) => s.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
