// One service of the demo chain: answers with the stage it saw, then asks the next service (if any).
// Copy this shape into your own services: the two interceptors are all graylane needs.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { getGrayContext, getReleaseStage } from 'graylane';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';

export interface Hop { service: string; instance: string; stage: string; explicit: boolean; phase: string }
export interface HopReply { id: string; hops: Hop[] }
// proto-loader clients are untyped; this is the slice the demo uses.
export interface HopClient extends grpc.Client {
  Unary(req: { id: string }, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: HopReply) => void): grpc.ClientUnaryCall;
}

let Hop: grpc.ServiceClientConstructor | undefined;
function hopService(): grpc.ServiceClientConstructor {
  if (Hop) return Hop;
  const file = createRequire(import.meta.url).resolve('graylane/protos/graylane/hop/v1/hop.proto');
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(file)) as { graylane: { hop: { v1: { Hop: grpc.ServiceClientConstructor } } } };
  return (Hop = pkg.graylane.hop.v1.Hop);
}

export function hopClient(address: string, graylane = true): HopClient {
  const Client = hopService();
  return new Client(address, grpc.credentials.createInsecure(), graylane ? { interceptors: [grayClientInterceptor()] } : {}) as unknown as HopClient;
}

export interface RunningService { name: string; address: string; stop(): void }

/** Starts `name` on 127.0.0.1:0; with `next`, every call is passed on to that address. */
export async function startHopService(name: string, next?: string): Promise<RunningService> {
  const downstream = next ? hopClient(next) : undefined;
  const server = new grpc.Server({ interceptors: [grayServerInterceptor()] });
  server.addService(hopService().service, {
    Unary(call: grpc.ServerUnaryCall<{ id: string }, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
      const me: Hop = { service: name, instance: name, stage: getReleaseStage(), explicit: getGrayContext()?.explicit ?? false, phase: 'entry' };
      if (!downstream) return cb(null, { id: call.request.id, hops: [me] });
      // No metadata handling here: grayClientInterceptor carries the stage on.
      downstream.Unary(call.request, new grpc.Metadata(), (err, res) => (err ? cb(err) : cb(null, { id: call.request.id, hops: [me, ...res!.hops] })));
    },
  });
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
  return {
    name,
    address: `127.0.0.1:${port}`,
    stop() {
      downstream?.close();
      server.forceShutdown();
    },
  };
}
