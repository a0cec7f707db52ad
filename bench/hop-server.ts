/**
 * One hop of a benchmark chain, run as its own process: serves `Bench/Call` on 127.0.0.1 and either
 * answers with the stage it saw (leaf) or calls the next hop and relays its answer (middle), the
 * way the scenario (`raw`, `hand`, `graylane`, …) propagates the tag.
 * Runs as compiled JavaScript under plain `node`, so `graylane` resolves to the built package (dist/).
 * Usage (forked by bench/run.ts): hop-server.js <scenario> <hop name> [downstream host:port]
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import type * as GrpcJs from '@grpc/grpc-js';
import { context as otelContext, propagation } from '@opentelemetry/api';
import { extractGrayContext, getReleaseStage } from 'graylane';
import { forwardGrayMetadata, grayClientInterceptor, grayServerInterceptor, grpcMetadataCarrier } from 'graylane/grpc-js';
import { leanGrayClientInterceptor } from './lean-client-interceptor.js';
import { ROUTED_SERVICE, STAGE_KEY, BENCH_STAGES, benchService, serveIpc, stageReply, type Scenario } from './common.js';

// Required (not imported) so instrumentation-grpc's require hook sees it in the OTel scenarios;
// every scenario loads it the same way.
const grpc = createRequire(import.meta.url)('@grpc/grpc-js') as typeof GrpcJs;

type Reply = (err: GrpcJs.ServiceError | null, res?: Buffer) => void;
type UnaryCall = GrpcJs.ServerUnaryCall<Buffer, Buffer>;
interface BenchClient extends GrpcJs.Client {
  call(req: Buffer, cb: Reply): GrpcJs.ClientUnaryCall;
  call(req: Buffer, md: GrpcJs.Metadata, cb: Reply): GrpcJs.ClientUnaryCall;
}
const BenchClientCtor = grpc.makeGenericClientConstructor(benchService, 'Bench') as unknown as new (
  target: string, creds: GrpcJs.ChannelCredentials, options?: GrpcJs.ClientOptions,
) => BenchClient;

const scenario = process.argv[2] as Scenario;
const hopName = process.argv[3] ?? 'A';
const downstream = process.argv[4];
const creds = grpc.credentials.createInsecure();

/** What the leaf reports as the stage it saw, per scenario. */
function leafStage(call: UnaryCall): string | undefined {
  switch (scenario) {
    case 'raw':
      return 'raw';
    case 'hand':
    case 'hand-routed':
      return call.metadata.get(STAGE_KEY)[0] as string | undefined;
    case 'graylane-call':
      return extractGrayContext(call.metadata, grpcMetadataCarrier).stage;
    case 'otel-off':
    case 'otel-on':
      return propagation.getBaggage(otelContext.active())?.getEntry(STAGE_KEY)?.value;
    default:
      return getReleaseStage();
  }
}

/** Routed scenarios: the registry refuses one address in two stages, so each hop also listens on loopback aliases. */
const ROUTED = scenario === 'full' || scenario === 'fused' || scenario === 'routing' || scenario === 'hand-routed';
/** How many stages the next hop is announced under: stable + the bench stages, one loopback alias each. */
const STAGE_ALIASES = 1 + BENCH_STAGES.length;

/** The next hop's address for the `i`-th stage: 127.0.0.(i+1), same port (Linux routes all of 127/8 to loopback). */
function stageAddress(target: string, i: number): string {
  return target.replace(/^127\.0\.0\.1:/, `127.0.0.${i + 1}:`);
}

/**
 * The full stack's shared pieces: one prom-client registry and the routing registry of the next hop;
 * `fused` installs the same jobs with the composers (one interceptor per side).
 */
async function fullStack(target: string | undefined, fused: boolean): Promise<{ server: GrpcJs.ServerInterceptor[]; client: () => BenchClient }> {
  const [{ Registry }, observe, feeds, routingApi] = await Promise.all([import('prom-client'), import('graylane/observe'), import('graylane/observe/grpc-js'), import('graylane/routing')]);
  const metrics = new Registry();
  const hopTrace = { service: `bench.${hopName}`, instance: hopName };
  const server = fused ? [feeds.grayGrpcServerStack({ metrics: { registry: metrics }, hopTrace })] : [
    grayServerInterceptor(),
    feeds.grayServerMetricsInterceptor({ registry: metrics }),
    feeds.grayHopTraceServerInterceptor(hopTrace),
  ];
  const client = (): BenchClient => {
    const stages = ['stable', ...BENCH_STAGES];
    const registry = routingApi.createStaticRegistry(stages.map((stage, i) => ({ service: ROUTED_SERVICE, address: stageAddress(target!, i), stage })));
    const routing = routingApi.registerGrayRouting({ registry });
    const guard = observe.createRollbackGuard({ registry, service: ROUTED_SERVICE, stage: 'canary' });
    return new BenchClientCtor(routing.target(ROUTED_SERVICE), creds, {
      interceptors: fused ? [feeds.grayGrpcClientStack({ metrics: { registry: metrics }, hopTrace: true, guard })] : [
        grayClientInterceptor(),
        feeds.grayClientMetricsInterceptor({ registry: metrics }),
        feeds.grayHopTraceClientInterceptor(),
        feeds.rollbackGuardClientInterceptor(guard),
      ],
    });
  };
  return { server, client };
}

async function downstreamClient(target: string): Promise<BenchClient> {
  if (scenario === 'routing') {
    const { createStaticRegistry, registerGrayRouting } = await import('graylane/routing');
    // The next hop announced under every stage the client sends (and the default), so each call is
    // routed to a stage-matching instance rather than falling back.
    const stages = ['stable', ...BENCH_STAGES];
    const registry = createStaticRegistry(stages.map((stage, i) => ({ service: ROUTED_SERVICE, address: stageAddress(target, i), stage })));
    const routing = registerGrayRouting({ registry });
    return new BenchClientCtor(routing.target(ROUTED_SERVICE), creds, { interceptors: [grayClientInterceptor()] });
  }
  const interceptors = scenario === 'graylane' ? [grayClientInterceptor()] : scenario === 'graylane-lean' ? [leanGrayClientInterceptor()] : [];
  return new BenchClientCtor(target, creds, interceptors.length > 0 ? { interceptors } : {});
}

/**
 * `hand-routed`'s middle hop: what a team writes without graylane to send each stage to its own
 * instances — one plain client per stage address of the next hop (the ones `full` routes to), the
 * stage read from the incoming metadata and set on a new outgoing one, unknown stages to stable.
 */
function handRoutedHandler(target: string): GrpcJs.handleUnaryCall<Buffer, Buffer> {
  const stages = ['stable', ...BENCH_STAGES];
  const clients = new Map(stages.map((stage, i) => [stage, new BenchClientCtor(stageAddress(target, i), creds)] as const));
  const stable = clients.get('stable')!;
  return (call, cb) => {
    const md = new grpc.Metadata();
    const stage = call.metadata.get(STAGE_KEY)[0];
    if (typeof stage === 'string') md.set(STAGE_KEY, stage);
    const client = (typeof stage === 'string' ? clients.get(stage) : undefined) ?? stable;
    client.call(call.request, md, (err, res) => cb(err, res));
  };
}

/** The grpc-js handler of a middle hop: one downstream call, answer relayed. */
function middleHandler(client: BenchClient): GrpcJs.handleUnaryCall<Buffer, Buffer> {
  const relay = (cb: Reply): Reply => (err, res) => cb(err, res);
  switch (scenario) {
    case 'hand':
      return (call, cb) => {
        const md = new grpc.Metadata();
        const stage = call.metadata.get(STAGE_KEY)[0];
        if (stage !== undefined) md.set(STAGE_KEY, stage);
        client.call(call.request, md, relay(cb));
      };
    case 'graylane-forward':
    case 'graylane-call':
      return (call, cb) => {
        client.call(call.request, forwardGrayMetadata(call), relay(cb));
      };
    default:
      // raw, graylane, full, fused, routing (interceptors do the work), otel-* (instrumentation does).
      return (call, cb) => {
        client.call(call.request, relay(cb));
      };
  }
}

async function startGrpcJs(): Promise<number> {
  const full = scenario === 'full' || scenario === 'fused' ? await fullStack(downstream, scenario === 'fused') : undefined;
  const graylaneServer = scenario === 'graylane' || scenario === 'graylane-forward' || scenario === 'routing' || scenario === 'graylane-lean';
  const server = new grpc.Server(full !== undefined ? { interceptors: full.server } : graylaneServer ? { interceptors: [grayServerInterceptor()] } : {});
  const handler: GrpcJs.handleUnaryCall<Buffer, Buffer> =
    downstream === undefined
      ? (call, cb) => cb(null, stageReply(leafStage(call)))
      : scenario === 'hand-routed'
        ? handRoutedHandler(downstream)
        : middleHandler(full !== undefined ? full.client() : await downstreamClient(downstream));
  server.addService(benchService, { call: handler });
  const bind = (address: string): Promise<number> => new Promise((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
  const port = await bind('127.0.0.1:0');
  if (ROUTED) for (let i = 1; i < STAGE_ALIASES; i++) await bind(`127.0.0.${i + 1}:${port}`);
  return port;
}

type NiceCtx = { metadata: { get(key: string): unknown } };

async function startNice(): Promise<number> {
  const nice = await import('nice-grpc');
  if (scenario === 'nice-hand') {
    // No graylane: the handler reads the key and passes it on by hand.
    const server = nice.createServer();
    if (downstream === undefined) {
      server.add(benchService, { call: async (_req: Buffer, ctx: NiceCtx) => stageReply(ctx.metadata.get(STAGE_KEY) as string | undefined) });
    } else {
      const client = nice.createClient(benchService, nice.createChannel(downstream)) as unknown as { call(req: Buffer, opts: object): Promise<Buffer> };
      server.add(benchService, {
        call: async (req: Buffer, ctx: NiceCtx) => {
          const stage = ctx.metadata.get(STAGE_KEY) as string | undefined;
          return client.call(req, { metadata: stage === undefined ? nice.Metadata() : nice.Metadata({ [STAGE_KEY]: stage }) });
        },
      });
    }
    return server.listen('127.0.0.1:0');
  }
  const { grayClientMiddleware, grayServerMiddleware } = await import('graylane/nice-grpc');
  const server = nice.createServer().use(grayServerMiddleware());
  if (downstream === undefined) {
    server.add(benchService, { call: async () => stageReply(getReleaseStage()) });
  } else {
    const client = nice.createClientFactory().use(grayClientMiddleware())
      .create(benchService, nice.createChannel(downstream)) as unknown as { call(req: Buffer): Promise<Buffer> };
    server.add(benchService, { call: async (req: Buffer) => client.call(req) });
  }
  return server.listen('127.0.0.1:0');
}

const port = scenario === 'nice-grpc' || scenario === 'nice-hand' ? await startNice() : await startGrpcJs();
serveIpc({});
process.send?.({ id: 0, ok: true, ready: { port } });
