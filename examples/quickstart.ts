// graylane quick start: a client calls `front`, which calls `back`; the release stage set by the
// client reaches `back` without any hand-written forwarding. Run: npx tsx examples/quickstart.ts
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { getReleaseStage } from 'graylane';
import { forwardGrayMetadata, grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';

// Any service works; this one ships with graylane (graylane.hop.v1.Hop).
const protoFile = createRequire(import.meta.url).resolve('graylane/protos/graylane/hop/v1/hop.proto');
const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile)) as any;
const Hop = pkg.graylane.hop.v1.Hop;

async function listen(impl: grpc.UntypedServiceImplementation): Promise<string> {
  // 1. Servers: the interceptor puts the incoming stage into the gray context of every call.
  const server = new grpc.Server({ interceptors: [grayServerInterceptor()] });
  server.addService(Hop.service, impl);
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
  servers.push(server);
  return `127.0.0.1:${port}`;
}
const servers: grpc.Server[] = [];

const back = await listen({
  Unary: (_call: any, cb: grpc.sendUnaryData<unknown>) =>
    cb(null, { id: 'back', hops: [{ service: 'back', stage: getReleaseStage() }] }),
});

// 2. Clients: the interceptor adds the current gray context to every outgoing call.
const backClient = new Hop(back, grpc.credentials.createInsecure(), { interceptors: [grayClientInterceptor()] });

const front = await listen({
  Unary: (call: any, cb: grpc.sendUnaryData<unknown>) => {
    const mine = { service: 'front', stage: getReleaseStage() };
    backClient.Unary({ id: call.request.id }, (err: Error | null, res: any) =>
      err ? cb(err) : cb(null, { id: 'front', hops: [mine, ...res.hops] }));
  },
});

// 3. A caller outside graylane just sets the key; forwardGrayMetadata() covers hand-written call sites.
const md = new grpc.Metadata();
md.set('x-release-stage', 'canary');
const entry = new Hop(front, grpc.credentials.createInsecure());
const reply: any = await new Promise((ok, fail) => entry.Unary({ id: '1' }, md, (e: Error | null, r: unknown) => (e ? fail(e) : ok(r))));
console.log(reply.hops.map((h: any) => `${h.service}=${h.stage}`).join(' → ')); // front=canary → back=canary
console.log(forwardGrayMetadata(md).getMap()); // { 'x-release-stage': 'canary' }

for (const c of [backClient, entry]) c.close();
for (const s of servers) s.forceShutdown();
