/**
 * Test helpers for Connect-ES: real Connect servers (connect-node over node:http2, h2c) on
 * 127.0.0.1:0, Connect clients for the three protocols, and a probe Hop service that records the
 * stage at every point of every call type and optionally calls a downstream Hop service.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createClient, type Client, type HandlerContext, type Interceptor, type ServiceImpl, type Transport } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { getGrayContext, getReleaseStage } from 'graylane';
import { getCallGrayContext } from 'graylane/connect';
import { Hop } from '../../examples/connect/gen/graylane/hop/v1/hop_pb.js';

export { Hop };
export type HopService = typeof Hop;
export type ConnectHopClient = Client<typeof Hop>;
export type Protocol = 'connect' | 'grpc' | 'grpc-web';

/** A plain record (what every hop reports). */
export interface Rec { service: string; instance: string; stage: string; explicit: boolean; phase: string }
/** A plain reply. */
export interface Reply { id: string; hops: Rec[] }
/** A plain request. */
export interface Req { id: string; count?: number }

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Reads the call's stage from a handler context (`undefined` when none). */
export type InstanceOf = (context: never) => string | undefined;
const connectInstance = (context: HandlerContext): string | undefined => getCallGrayContext(context)?.stage;

/** What the handler saw at `phase`: the ALS stage, and in `instance` the call's context read from the handler context ('-' when none). */
export function rec(service: string, phase: string, context?: unknown, instance: InstanceOf = connectInstance): Rec {
  const call = context === undefined ? undefined : (instance as (c: unknown) => string | undefined)(context);
  return { service, instance: call ?? '-', stage: getReleaseStage(), explicit: getGrayContext()?.explicit ?? false, phase };
}

/** The downstream of a hop: any client with the Hop methods taking plain messages (a Connect client or a nice-grpc client fits). */
export interface HopDownstream {
  unary(req: Req): Promise<Reply>;
  serverStream(req: Req): AsyncIterable<Reply>;
  clientStream(reqs: AsyncIterable<Req>): Promise<Reply>;
  bidi(reqs: AsyncIterable<Req>): AsyncIterable<Reply>;
}

/** Passes requests on, recording what the handler sees for each message and at the end. */
async function* tap(r: (phase: string, context: unknown) => Rec, requests: AsyncIterable<Req>, context: unknown, out: Rec[]): AsyncGenerator<Req> {
  for await (const req of requests) {
    out.push(r('data', context));
    await tick();
    yield { id: req.id, count: req.count ?? 0 };
  }
  out.push(r('end', context));
}

/**
 * A probe Hop service. Without a downstream: unary [entry, after-await]; server stream `count`
 * replies [entry|after-yield, after-await]; client stream [entry, data…, end]; bidi per message
 * [entry|after-yield, data, after-await]. With one: the same call type downstream, its hops appended.
 */
export function connectHop(service: string, down?: HopDownstream, instance: InstanceOf = connectInstance): ServiceImpl<typeof Hop> {
  const at = (phase: string, context: unknown): Rec => rec(service, phase, context, instance);
  return {
    async unary(req, context) {
      const hops = [at('entry', context)];
      await tick();
      hops.push(at('after-await', context));
      if (down) {
        const r = await down.unary({ id: req.id });
        hops.push(at('downstream-result', context), ...(r.hops as Rec[]));
      }
      return { id: req.id, hops };
    },
    async *serverStream(req, context) {
      let first = at('entry', context);
      if (down) {
        for await (const r of down.serverStream({ id: req.id, count: req.count })) {
          const hops = [first, at('downstream-data', context)];
          await tick();
          hops.push(at('after-await', context));
          yield { id: r.id, hops: [...hops, ...(r.hops as Rec[])] };
          first = at('after-yield', context);
        }
        return;
      }
      for (let i = 0; i < Math.max(1, req.count); i++) {
        const hops = [first];
        await tick();
        hops.push(at('after-await', context));
        yield { id: req.id, hops };
        first = at('after-yield', context);
      }
    },
    async clientStream(requests, context) {
      const hops = [at('entry', context)];
      if (down) {
        const r = await down.clientStream(tap(at, requests, context, hops));
        return { id: r.id, hops: [...hops, at('downstream-result', context), ...(r.hops as Rec[])] };
      }
      let id = '';
      for await (const req of requests) {
        id = req.id;
        hops.push(at('data', context));
        await tick();
      }
      hops.push(at('end', context));
      return { id, hops };
    },
    async *bidi(requests, context) {
      let first = at('entry', context);
      if (down) {
        const pending: Rec[] = [];
        for await (const r of down.bidi(tap(at, requests, context, pending))) {
          const own = pending.splice(0).filter((h) => h.phase === 'data');
          yield { id: r.id, hops: [first, ...own, at('downstream-data', context), ...(r.hops as Rec[])] };
          first = at('after-yield', context);
        }
        return;
      }
      for await (const req of requests) {
        const hops = [first, at('data', context)];
        await tick();
        hops.push(at('after-await', context));
        yield { id: req.id, hops };
        first = at('after-yield', context);
      }
    },
  };
}

export interface ConnectServer { url: string; port: number; close(): Promise<void> }

/** Starts connect-node over h2c (serves the Connect, gRPC and gRPC-Web protocols) on 127.0.0.1:0. */
export async function startConnectServer(impl: ServiceImpl<typeof Hop>, interceptors: Interceptor[] = []): Promise<ConnectServer> {
  const handler = connectNodeAdapter({ routes: (router) => router.service(Hop, impl), interceptors });
  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sessions) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A Connect transport of the given protocol (HTTP/2) to `baseUrl`. */
export function transport(protocol: Protocol, baseUrl: string, interceptors: Interceptor[] = []): Transport {
  if (protocol === 'grpc') return createGrpcTransport({ baseUrl, interceptors });
  if (protocol === 'grpc-web') return createGrpcWebTransport({ baseUrl, httpVersion: '2', interceptors });
  return createConnectTransport({ baseUrl, httpVersion: '2', interceptors });
}

/** A Connect Hop client of the given protocol. */
export function connectClient(protocol: Protocol, baseUrl: string, interceptors: Interceptor[] = []): ConnectHopClient {
  return createClient(Hop, transport(protocol, baseUrl, interceptors));
}

/** A Connect client as a {@link HopDownstream} (plain messages in and out). */
export function asDownstream(client: ConnectHopClient): HopDownstream {
  return client as unknown as HopDownstream;
}

/** Requests `ids` one by one (with a tick between), as an async iterable. */
export async function* requests(...ids: string[]): AsyncGenerator<Req> {
  for (const id of ids) {
    await tick();
    yield { id, count: 0 };
  }
}

/** Collects an async iterable. */
export async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** `x-release-stage: stage` as Connect call headers. */
export const stageHeaders = (stage: string, extra: Record<string, string> = {}): Headers => new Headers({ 'x-release-stage': stage, ...extra });
