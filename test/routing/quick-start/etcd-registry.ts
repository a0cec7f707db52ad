import * as grpc from '@grpc/grpc-js';
import { getReleaseStage } from 'graylane';
import { grayServerInterceptor } from 'graylane/grpc-js';
import { createEtcdRegistry, registerGrayRouting } from 'graylane/routing';

// A tiny JSON-encoded service, so this example needs no .proto file.
const json = { serialize: (v: object) => Buffer.from(JSON.stringify(v)), deserialize: (b: Buffer) => JSON.parse(b.toString()) };
const service: grpc.ServiceDefinition = {
  whoAmI: {
    path: '/demo.Demo/WhoAmI', requestStream: false, responseStream: false, originalName: 'whoAmI',
    requestSerialize: json.serialize, requestDeserialize: json.deserialize,
    responseSerialize: json.serialize, responseDeserialize: json.deserialize,
  },
};

// 1. Two instances of demo.Demo: one stable, one canary.
async function startInstance(name: string): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server({ interceptors: [grayServerInterceptor()] });
  server.addService(service, {
    whoAmI: (_call: grpc.ServerUnaryCall<object, object>, done: grpc.sendUnaryData<object>) =>
      done(null, { instance: name, stage: getReleaseStage() }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { server, address: `127.0.0.1:${port}` };
}
const stable = await startInstance('demo-stable-1');
const canary = await startInstance('demo-canary-1');

// 2. Announce them in etcd: each instance registers under a lease kept alive until close()
//    (normally every instance does this in its own process).
const registry = createEtcdRegistry({ endpoints: process.env.ETCD_ENDPOINT ?? 'http://127.0.0.1:2379' });
await registry.ready();
const leases = [
  await registry.register({ service: 'demo.Demo', address: stable.address, stage: 'stable' }),
  await registry.register({ service: 'demo.Demo', address: canary.address, stage: 'canary' }),
];

// 3. Register routing once, before creating clients.
const routing = registerGrayRouting({ registry });

// 4. One client, one channel: each call is routed by its x-release-stage.
const Demo = grpc.makeGenericClientConstructor(service, 'Demo');
const client = new Demo('graylane:///demo.Demo', grpc.credentials.createInsecure());
function whoAmI(stage?: string): Promise<{ instance: string; stage: string }> {
  const metadata = new grpc.Metadata();
  if (stage !== undefined) metadata.set('x-release-stage', stage);
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(service.whoAmI!.path, json.serialize, json.deserialize, {}, metadata, (err, res) =>
      err ? reject(err) : resolve(res as { instance: string; stage: string })));
}
console.log('canary call ->', await whoAmI('canary')); // { instance: 'demo-canary-1', stage: 'canary' }
console.log('plain call  ->', await whoAmI()); // { instance: 'demo-stable-1', stage: 'stable' }

client.close();
routing.close();
for (const lease of leases) await lease.close();
await registry.close();
stable.server.forceShutdown();
canary.server.forceShutdown();
