/** Test helpers: load the hop proto, start real grpc-js servers on 127.0.0.1:0, and tear them down. */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

export const PROTO_ROOT = fileURLToPath(new URL('../../protos', import.meta.url));

export interface HopRecord { service: string; instance: string; stage: string; explicit: boolean; phase: string }
export interface HopRequest { id: string; count?: number }
export interface HopReply { id: string; hops: HopRecord[] }

export type HopClient = grpc.Client & {
  unary(req: HopRequest, md: grpc.Metadata, opts: grpc.CallOptions, cb: grpc.requestCallback<HopReply>): grpc.ClientUnaryCall;
  unary(req: HopRequest, md: grpc.Metadata, cb: grpc.requestCallback<HopReply>): grpc.ClientUnaryCall;
  unary(req: HopRequest, cb: grpc.requestCallback<HopReply>): grpc.ClientUnaryCall;
  serverStream(req: HopRequest, md?: grpc.Metadata, opts?: grpc.CallOptions): grpc.ClientReadableStream<HopReply>;
  clientStream(md: grpc.Metadata, cb: grpc.requestCallback<HopReply>): grpc.ClientWritableStream<HopRequest>;
  clientStream(cb: grpc.requestCallback<HopReply>): grpc.ClientWritableStream<HopRequest>;
  bidi(md?: grpc.Metadata, opts?: grpc.CallOptions): grpc.ClientDuplexStream<HopRequest, HopReply>;
};
export type HopClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => HopClient;

let cached: { service: grpc.ServiceDefinition; Client: HopClientConstructor } | undefined;

/** The `graylane.hop.v1.Hop` service definition and client constructor (proto-loader, camelCase methods). */
export function loadHop(): { service: grpc.ServiceDefinition; Client: HopClientConstructor } {
  if (cached) return cached;
  const def = protoLoader.loadSync('graylane/hop/v1/hop.proto', { includeDirs: [PROTO_ROOT], defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { graylane: { hop: { v1: { Hop: grpc.ServiceClientConstructor } } } };
  const Hop = pkg.graylane.hop.v1.Hop;
  cached = { service: Hop.service, Client: Hop as unknown as HopClientConstructor };
  return cached;
}

export interface RunningServer { server: grpc.Server; address: string; port: number; close(): Promise<void> }

/** Starts a real server on 127.0.0.1:0 with the given implementation and options. */
export async function startServer(
  impl: grpc.UntypedServiceImplementation,
  options: grpc.ServerOptions = {},
  service: grpc.ServiceDefinition = loadHop().service,
): Promise<RunningServer> {
  const server = new grpc.Server(options);
  server.addService(service, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    server,
    port,
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.forceShutdown();
      resolve();
    }),
  };
}

/** A Hop client to `address` with optional client options (interceptors). */
export function hopClient(address: string, options: grpc.ClientOptions = {}): HopClient {
  const { Client } = loadHop();
  return new Client(address, grpc.credentials.createInsecure(), options);
}

export function unary(client: HopClient, req: HopRequest, md = new grpc.Metadata(), opts: grpc.CallOptions = {}): Promise<HopReply> {
  return new Promise((resolve, reject) => client.unary(req, md, opts, (err, res) => (err ? reject(err) : resolve(res!))));
}

export function collect<T>(stream: NodeJS.ReadableStream): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    stream.on('data', (m: T) => out.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
