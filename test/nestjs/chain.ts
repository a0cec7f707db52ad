/**
 * A real Nest chain for the tests: HTTP app (Express or Fastify, GrayModule) → Nest gRPC
 * microservice A → Nest gRPC microservice B → plain grpc-js leaf, all on 127.0.0.1, every gRPC
 * hop on the shipped hop proto (protos/graylane/hop/v1/hop.proto, loaded by Nest's protoPath).
 */
import 'reflect-metadata';
import * as grpc from '@grpc/grpc-js';
import { Controller, Get, Inject, Module, Query, type INestApplication, type INestMicroservice, type OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, GrpcMethod, GrpcStreamMethod, Payload, Transport, type ClientGrpc, type GrpcOptions } from '@nestjs/microservices';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { concatMap, interval, lastValueFrom, map, mergeMap, of, take, toArray, type Observable } from 'rxjs';
import { getGrayContext, getReleaseStage, type GrayContext } from 'graylane';
import { grayServerInterceptor } from 'graylane/grpc-js';
import { GrayCtx, GrayModule, ReleaseStage, withGrayGrpcClient, withGrayGrpcServer } from 'graylane/nestjs';
import type { GrayHttpOptions } from 'graylane/http';
import { startServer, type HopRecord, type HopReply, type HopRequest, type RunningServer } from '../helpers/grpc.js';

export const PROTO_PATH = fileURLToPath(new URL('../../protos/graylane/hop/v1/hop.proto', import.meta.url));
export const PACKAGE = 'graylane.hop.v1';
export const TOKEN = 'nest-edge-token';
export type Kind = 'unary' | 'serverStream' | 'clientStream' | 'bidi';
export const KINDS: readonly Kind[] = ['unary', 'serverStream', 'clientStream', 'bidi'];

/** The Hop service as Nest's ClientGrpc exposes it (camelCase methods, Observables). */
export interface HopService {
  unary(req: HopRequest, metadata?: grpc.Metadata): Observable<HopReply>;
  serverStream(req: HopRequest): Observable<HopReply>;
  clientStream(reqs: Observable<HopRequest>): Observable<HopReply>;
  bidi(reqs: Observable<HopRequest>): Observable<HopReply>;
}

/** A free loopback port (Nest's gRPC server does not report the port it bound). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function grpcOptions(url: string): GrpcOptions {
  return { transport: Transport.GRPC, options: { package: PACKAGE, protoPath: PROTO_PATH, url, loader: { defaults: true } } };
}

export const record = (service: string, phase: string, ctx: GrayContext | undefined = getGrayContext()): HopRecord =>
  ({ service, instance: service, stage: ctx?.stage ?? 'none', explicit: ctx?.explicit ?? false, phase });

/** The plain grpc-js leaf: answers the stage it saw and whether a key that must never travel arrived. */
export function startLeaf(): Promise<RunningServer> {
  const forbidden = ['x-gray-token', 'x-gray-trace', '__proto__', 'constructor'];
  return startServer({
    unary: (call: grpc.ServerUnaryCall<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) => {
      const leaked = forbidden.filter((k) => call.metadata.get(k).length > 0);
      setTimeout(() => cb(null, { id: call.request.id, hops: [{ ...record('leaf', 'after-await'), instance: leaked.length ? `LEAKED:${leaked.join(',')}` : 'leaf' }] }), 1);
    },
  }, { interceptors: [grayServerInterceptor()] });
}

/** Nest microservice B: all four call types, each calling the leaf through a Nest ClientGrpc. */
export async function startB(leafAddress: string): Promise<{ url: string; app: INestMicroservice }> {
  @Controller()
  class BController implements OnModuleInit {
    private leaf!: HopService;
    constructor(@Inject('LEAF') private readonly client: ClientGrpc) {}
    onModuleInit(): void { this.leaf = this.client.getService<HopService>('Hop'); }

    private viaLeaf(id: string, phase: string): Observable<HopReply> {
      const mine = record('b', phase);
      return this.leaf.unary({ id }).pipe(map((r) => ({ id, hops: [mine, ...r.hops] })));
    }

    @GrpcMethod('Hop', 'Unary')
    async unary(@Payload() req: HopRequest, @GrayCtx() gray: GrayContext | undefined, @ReleaseStage() stage: string): Promise<HopReply> {
      await new Promise((r) => setTimeout(r, 1));
      const reply = await lastValueFrom(this.viaLeaf(req.id, 'after-await'));
      // The decorators must agree with the async context.
      const param = record('b-param', 'entry', gray);
      return { ...reply, hops: [...reply.hops, { ...param, instance: stage }] };
    }

    @GrpcMethod('Hop', 'ServerStream')
    serverStream(req: HopRequest): Observable<HopReply> {
      return interval(1).pipe(take(req.count || 2), concatMap(() => this.viaLeaf(req.id, 'interval')));
    }

    @GrpcStreamMethod('Hop', 'ClientStream')
    clientStream(reqs: Observable<HopRequest>): Observable<HopReply> {
      return reqs.pipe(map((r) => ({ id: r.id, seen: record('b', 'data') })), toArray(), mergeMap((all) =>
        this.viaLeaf(all[0]!.id, 'end').pipe(map((r) => ({ id: r.id, hops: [...all.map((a) => a.seen), ...r.hops] })))));
    }

    @GrpcStreamMethod('Hop', 'Bidi')
    bidi(reqs: Observable<HopRequest>): Observable<HopReply> {
      return reqs.pipe(concatMap((r) => this.viaLeaf(r.id, 'data')));
    }
  }
  @Module({ imports: [ClientsModule.register([withGrayGrpcClient({ name: 'LEAF', ...grpcOptions(leafAddress) })])], controllers: [BController] })
  class BModule {}

  const url = `127.0.0.1:${await freePort()}`;
  const app = await NestFactory.createMicroservice<GrpcOptions>(BModule, { ...withGrayGrpcServer(grpcOptions(url)), logger: false });
  await app.listen();
  return { url, app };
}

/** Nest microservice A: its Unary calls B with the call type named in the id (`kind:...`). */
export async function startA(bUrl: string): Promise<{ url: string; app: INestMicroservice }> {
  @Controller()
  class AController implements OnModuleInit {
    private b!: HopService;
    constructor(@Inject('B') private readonly client: ClientGrpc) {}
    onModuleInit(): void { this.b = this.client.getService<HopService>('Hop'); }

    @GrpcMethod('Hop', 'Unary')
    async unary(req: HopRequest): Promise<HopReply> {
      const mine = record('a', 'entry');
      const kind = req.id.split(':')[0] as Kind;
      const msgs = of({ id: req.id }, { id: req.id });
      const replies: HopReply[] = kind === 'unary' ? [await lastValueFrom(this.b.unary({ id: req.id }))]
        : kind === 'serverStream' ? await lastValueFrom(this.b.serverStream({ id: req.id, count: 2 }).pipe(toArray()))
        : kind === 'clientStream' ? [await lastValueFrom(this.b.clientStream(msgs))]
        : await lastValueFrom(this.b.bidi(msgs).pipe(toArray()));
      const after = record('a', 'after-await');
      return { id: req.id, hops: [mine, after, ...replies.flatMap((r) => { if (r.id !== req.id) throw new Error(`crossed id ${r.id}`); return r.hops; })] };
    }
  }
  @Module({ imports: [ClientsModule.register([withGrayGrpcClient({ name: 'B', ...grpcOptions(bUrl) })])], controllers: [AController] })
  class AModule {}

  const url = `127.0.0.1:${await freePort()}`;
  const app = await NestFactory.createMicroservice<GrpcOptions>(AModule, { ...withGrayGrpcServer(grpcOptions(url)), logger: false });
  await app.listen();
  return { url, app };
}

/** What the HTTP app answers: the stage its handler saw and every gRPC hop below it. */
export interface EdgeReply { id: string; http: HopRecord; hops: HopRecord[] }

/** A barrier so a burst of requests is provably in flight together (peak = most waiting at once). */
export class Gate {
  private waiting = 0;
  private open!: () => void;
  private readonly opened = new Promise<void>((r) => (this.open = r));
  peak = 0;
  constructor(private readonly target: number, maxMs = 20_000) {
    const t = setTimeout(() => this.open(), maxMs);
    void this.opened.then(() => clearTimeout(t));
  }
  async wait(): Promise<void> {
    this.peak = Math.max(this.peak, ++this.waiting);
    if (this.waiting >= this.target) this.open();
    await this.opened;
    this.waiting--;
  }
}

export type Platform = 'express' | 'fastify';

/** The Nest HTTP app: GrayModule's edge, a route that calls A. */
export async function startHttp(platform: Platform, aUrl: string, options: { gate?: Gate; edge?: GrayHttpOptions; modules?: unknown[] } = {}): Promise<{ url: string; app: INestApplication }> {
  const gate = options.gate;
  @Controller()
  class EdgeController implements OnModuleInit {
    private a!: HopService;
    constructor(@Inject('A') private readonly client: ClientGrpc) {}
    onModuleInit(): void { this.a = this.client.getService<HopService>('Hop'); }

    @Get('hop')
    async hop(@Query('id') id: string, @ReleaseStage() stage: string): Promise<EdgeReply> {
      const http = { ...record('http', 'entry'), instance: stage };
      await gate?.wait();
      const reply = await lastValueFrom(this.a.unary({ id }));
      return { id: reply.id, http, hops: reply.hops };
    }
  }
  @Module({
    imports: [
      GrayModule.forRoot(options.edge ?? { trust: { tokenHeader: 'x-gray-token', tokens: [TOKEN] } }),
      ClientsModule.register([withGrayGrpcClient({ name: 'A', ...grpcOptions(aUrl) })]),
      ...((options.modules ?? []) as []),
    ],
    controllers: [EdgeController],
  })
  class EdgeModule {}

  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(EdgeModule, adapter, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), app };
}

/** The whole chain; `close()` tears every piece down. */
export interface Chain { leaf: RunningServer; a: { url: string; app: INestMicroservice }; b: { url: string; app: INestMicroservice }; close(): Promise<void> }

export async function startChain(): Promise<Chain> {
  const leaf = await startLeaf();
  const b = await startB(leaf.address);
  const a = await startA(b.url);
  return { leaf, a, b, close: async () => { await a.app.close(); await b.app.close(); await leaf.close(); } };
}

/** GET `${url}/hop?id=` with headers; the parsed reply. */
export async function getHop(url: string, id: string, headers: Record<string, string> = {}): Promise<EdgeReply> {
  const res = await fetch(`${url}/hop?id=${encodeURIComponent(id)}`, { headers });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as EdgeReply;
}

export { getReleaseStage };
