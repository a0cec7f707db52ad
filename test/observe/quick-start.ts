// graylane/observe quick start: three gRPC services in a chain (orders → pricing → stock). Every
// log line carries the stage, per-stage metrics are recorded, and a traced call returns its path.
// Run: npx tsx quick-start.ts
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { runWithStage } from 'graylane';
import { grayClientInterceptor } from 'graylane/grpc-js';
import { grayPinoMixin, readHopTrace } from 'graylane/observe';
import { grayGrpcClientStack, grayGrpcServerStack, withHopTrace } from 'graylane/observe/grpc-js';

const logger = pino({ mixin: grayPinoMixin(), base: undefined, timestamp: false }, pino.destination({ sync: true }));
const registry = new Registry();

// One JSON-encoded unary method, so the example needs no .proto file.
const json = { serialize: (v: object) => Buffer.from(JSON.stringify(v)), deserialize: (b: Buffer) => JSON.parse(b.toString()) as object };
const service = {
  check: { path: '/demo.Hop/Check', requestStream: false, responseStream: false, requestSerialize: json.serialize, requestDeserialize: json.deserialize, responseSerialize: json.serialize, responseDeserialize: json.deserialize },
} satisfies grpc.ServiceDefinition;
const HopClient = grpc.makeGenericClientConstructor(service, 'Hop');
type Hop = grpc.Client & { check(req: object, md: grpc.Metadata, cb: grpc.requestCallback<object>): grpc.ClientUnaryCall };

const servers: grpc.Server[] = [];
const clients: grpc.Client[] = [];

async function startService(name: string, next?: string): Promise<string> {
  // One server interceptor: the gray context, then metrics and the hop trace, in one layer.
  const server = new grpc.Server({
    interceptors: [grayGrpcServerStack({ metrics: { registry }, hopTrace: { service: name, instance: `${name}-1` } })],
  });
  // One client interceptor: forward the context, and collect downstream hops of traced calls.
  const downstream = next === undefined ? undefined
    : new HopClient(next, grpc.credentials.createInsecure(), { interceptors: [grayGrpcClientStack({ hopTrace: true })] }) as unknown as Hop;
  if (downstream) clients.push(downstream);
  server.addService(service, {
    check(_call: grpc.ServerUnaryCall<object, object>, cb: grpc.sendUnaryData<object>) {
      logger.info({ service: name }, 'check');
      if (downstream === undefined) return cb(null, {});
      downstream.check({}, new grpc.Metadata(), (err, res) => cb(err, res));
    },
  });
  servers.push(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return `127.0.0.1:${port}`;
}

const stock = await startService('stock');
const pricing = await startService('pricing', stock);
const orders = await startService('orders', pricing);
const client = new HopClient(orders, grpc.credentials.createInsecure(), { interceptors: [grayClientInterceptor()] }) as unknown as Hop;
clients.push(client);

function call(md: grpc.Metadata): Promise<grpc.StatusObject> {
  return new Promise((resolve) => client.check({}, md, () => {}).on('status', resolve));
}

// A canary call that asks for a hop trace, and an untraced stable call.
const traced = await runWithStage('canary', () => call(withHopTrace()));
const trace = readHopTrace(traced);
if (trace.status === 'ok') for (const hop of trace.hops) console.log(`hop ${hop.depth}: ${hop.service} (${hop.instance}) stage=${hop.stage} explicit=${hop.explicit}`);
console.log(`untraced call: ${readHopTrace(await call(new grpc.Metadata())).status}`);

for (const line of (await registry.metrics()).split('\n')) {
  if (line.startsWith('grpc_server_handled_total{')) console.log(line);
}
for (const c of clients) c.close();
for (const s of servers) s.forceShutdown();
