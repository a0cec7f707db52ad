// Shared by the shop services: bind a grpc-js server on an ephemeral loopback port.
import * as grpc from '@grpc/grpc-js';

export interface Instance { service: string; instance: string; stage: string; address: string; stop(): void }

export async function listen(server: grpc.Server, service: string, instance: string, stage: string): Promise<Instance> {
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? fail(err) : ok(p))));
  return { service, instance, stage, address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}
