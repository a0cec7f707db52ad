/**
 * Issue 16: Nest's own machinery sees the request's stage — middleware, guards, interceptors (before
 * and after the handler), pipes, request-scoped async providers, exception filters — on the Express
 * and Fastify platforms and in a gRPC microservice; and an exception path still forwards the stage.
 */
import 'reflect-metadata';
import * as grpc from '@grpc/grpc-js';
import {
  Catch, Controller, Get, Inject, Injectable, Module, Query, Scope, UseFilters, UseGuards, UseInterceptors,
  type ArgumentsHost, type CallHandler, type CanActivate, type ExceptionFilter, type ExecutionContext,
  type MiddlewareConsumer, type NestInterceptor, type NestModule, type OnModuleInit, type PipeTransform,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, GrpcMethod, Payload, type ClientGrpc, type GrpcOptions } from '@nestjs/microservices';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { lastValueFrom, mergeMap, tap, throwError, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getReleaseStage } from 'graylane';
import { GrayModule, withGrayGrpcClient, withGrayGrpcServer } from 'graylane/nestjs';
import { TOKEN, freePort, grpcOptions, startLeaf, type HopService, type Platform } from './chain.js';
import type { HopReply, HopRequest, RunningServer } from '../helpers/grpc.js';

/** What each piece saw, per request id. */
const seen = new Map<string, Record<string, string>>();
const note = (id: string | undefined, where: string): void => {
  if (id === undefined) return;
  const rec = seen.get(id) ?? {};
  rec[where] = getReleaseStage();
  seen.set(id, rec);
};
const idOfUrl = (url: string | undefined): string | undefined => new URL(url ?? '/', 'http://x').searchParams.get('id') ?? undefined;
const idOf = (ctx: ExecutionContext): string | undefined =>
  ctx.getType() === 'rpc' ? ctx.switchToRpc().getData<HopRequest>().id : idOfUrl((ctx.switchToHttp().getRequest<{ url?: string }>()).url);

@Injectable() class NoteGuard implements CanActivate {
  async canActivate(ctx: ExecutionContext): Promise<boolean> { await new Promise((r) => setTimeout(r, 1)); note(idOf(ctx), 'guard'); return true; }
}
@Injectable() class NoteInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const id = idOf(ctx);
    note(id, 'interceptor-before');
    return next.handle().pipe(tap({ next: () => note(id, 'interceptor-after'), error: () => note(id, 'interceptor-error') }));
  }
}
@Injectable() class NotePipe implements PipeTransform<string, string> {
  transform(id: string): string { note(id, 'pipe'); return id; }
}

let leaf: RunningServer;
let leafUrl: string;

/** Calls the leaf from inside an exception filter: the exception path must still forward the stage. */
@Catch()
class ForwardingFilter implements ExceptionFilter {
  constructor(@Inject('LEAF') private readonly client: ClientGrpc) {}
  async catch(_err: unknown, host: ArgumentsHost): Promise<void> {
    const id = idOfUrl(host.switchToHttp().getRequest<{ url?: string }>().url);
    note(id, 'filter');
    const reply = await lastValueFrom(this.client.getService<HopService>('Hop').unary({ id: id ?? '' }));
    const res = host.switchToHttp().getResponse<{ status?: (c: number) => unknown; code?: (c: number) => unknown; send?: (b: unknown) => unknown; json?: (b: unknown) => unknown }>();
    const body = { filter: getReleaseStage(), leaf: reply.hops[0]!.stage };
    if (typeof res.code === 'function') { res.code(500); res.send!(body); } else { res.status!(500); res.json!(body); }
  }
}

/** A request-scoped provider built by an async factory, per request. */
const REQUEST_STAGE = 'REQUEST_STAGE';

@Controller()
@UseGuards(NoteGuard)
@UseInterceptors(NoteInterceptor)
class ProbeController {
  constructor(@Inject(REQUEST_STAGE) private readonly created: { stage: string }) {}

  @Get('probe')
  async probe(@Query('id', NotePipe) id: string): Promise<Record<string, string>> {
    await new Promise((r) => setTimeout(r, Number(id.replace(/\D/g, '')) % 5));
    note(id, 'handler');
    note(id, 'provider-method');
    return { ...seen.get(id), provider: this.created.stage };
  }

  @Get('boom')
  @UseFilters(ForwardingFilter)
  boom(@Query('id') id: string): never {
    note(id, 'handler');
    throw new Error('boom');
  }
}

function probeModule(): unknown {
  @Module({
    imports: [
      GrayModule.forRoot({ trust: { tokenHeader: 'x-gray-token', tokens: [TOKEN] } }),
      ClientsModule.register([withGrayGrpcClient({ name: 'LEAF', ...grpcOptions(leafUrl) })]),
    ],
    controllers: [ProbeController],
    providers: [{
      provide: REQUEST_STAGE,
      scope: Scope.REQUEST,
      useFactory: async () => { await new Promise((r) => setTimeout(r, 1)); return { stage: getReleaseStage() }; },
    }],
  })
  class ProbeModule implements NestModule {
    configure(consumer: MiddlewareConsumer): void {
      consumer.apply((req: { url?: string; originalUrl?: string }, _res: unknown, next: () => void) => { note(idOfUrl(req.originalUrl ?? req.url), 'middleware'); next(); }).forRoutes(ProbeController);
    }
  }
  return ProbeModule;
}

beforeAll(async () => {
  leaf = await startLeaf();
  leafUrl = leaf.address;
});
afterAll(async () => { await leaf?.close(); });

describe.each<Platform>(['express', 'fastify'])('Nest %s app', (platform) => {
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const app = await NestFactory.create(probeModule() as never, platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    close = () => app.close();
  });
  afterAll(async () => { await close?.(); });

  it('middleware, guard, interceptor (before and after), pipe, request-scoped async provider and handler see the stage, per request', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => ({ id: `${platform}-p${i}`, stage: `p-${platform}-${i}` }));
    const replies = await Promise.all(ids.map(async ({ id, stage }) => {
      const res = await fetch(`${url}/probe?id=${id}`, { headers: { 'x-release-stage': stage, 'x-gray-token': TOKEN } });
      expect(res.status).toBe(200);
      return { id, stage, body: (await res.json()) as Record<string, string> };
    }));
    for (const { id, stage, body } of replies) {
      expect(body).toEqual({ middleware: stage, guard: stage, 'interceptor-before': stage, pipe: stage, handler: stage, 'provider-method': stage, provider: stage });
      expect(seen.get(id)!['interceptor-after']).toBe(stage);
    }
  });

  it('an exception filter sees the stage and a call it makes forwards it', async () => {
    const id = `${platform}-boom`;
    const res = await fetch(`${url}/boom?id=${id}`, { headers: { 'x-release-stage': 'canary', 'x-gray-token': TOKEN } });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ filter: 'canary', leaf: 'canary' });
    expect(seen.get(id)).toMatchObject({ guard: 'canary', 'interceptor-before': 'canary', handler: 'canary', filter: 'canary' });
  });
});

describe('Nest gRPC microservice', () => {
  it('guard, interceptor, handler and an exception filter see the call stage; the filter forwards it', async () => {
    @Catch()
    class RpcForwardingFilter {
      constructor(@Inject('LEAF') private readonly client: ClientGrpc) {}
      catch(_err: unknown, host: ArgumentsHost): Observable<never> {
        const id = host.switchToRpc().getData<HopRequest>().id;
        note(id, 'filter');
        return this.client.getService<HopService>('Hop').unary({ id }).pipe(
          mergeMap((reply) => throwError(() => ({ code: grpc.status.ABORTED, message: `leaf saw ${reply.hops[0]!.stage}` }))),
        );
      }
    }
    @Controller()
    class C implements OnModuleInit {
      constructor(@Inject('LEAF') private readonly client: ClientGrpc) {}
      onModuleInit(): void { this.client.getService<HopService>('Hop'); }
      @GrpcMethod('Hop', 'Unary')
      @UseGuards(NoteGuard)
      @UseInterceptors(NoteInterceptor)
      @UseFilters(RpcForwardingFilter)
      async unary(@Payload(NotePipe as never) req: HopRequest): Promise<HopReply> {
        note(req.id, 'handler');
        if (req.id.startsWith('boom')) throw new Error('boom');
        return { id: req.id, hops: [] };
      }
    }
    @Module({ imports: [ClientsModule.register([withGrayGrpcClient({ name: 'LEAF', ...grpcOptions(leafUrl) })])], controllers: [C] })
    class CModule {}
    const address = `127.0.0.1:${await freePort()}`;
    const app = await NestFactory.createMicroservice<GrpcOptions>(CModule, { ...withGrayGrpcServer(grpcOptions(address)), logger: false });
    await app.listen();
    const { hopClient, unary } = await import('../helpers/grpc.js');
    const client = hopClient(address);
    try {
      const md = (stage: string): grpc.Metadata => { const m = new grpc.Metadata(); m.set('x-release-stage', stage); return m; };
      await Promise.all(Array.from({ length: 20 }, (_, i) => unary(client, { id: `ok-${i}` }, md(`g-${i}`))));
      for (let i = 0; i < 20; i++) {
        expect(seen.get(`ok-${i}`)).toEqual({ guard: `g-${i}`, 'interceptor-before': `g-${i}`, handler: `g-${i}`, 'interceptor-after': `g-${i}` });
      }
      const err = await unary(client, { id: 'boom-1' }, md('canary')).catch((e: grpc.ServiceError) => e);
      expect((err as grpc.ServiceError).code).toBe(grpc.status.ABORTED);
      expect((err as grpc.ServiceError).details).toBe('leaf saw canary');
      expect(seen.get('boom-1')).toMatchObject({ guard: 'canary', handler: 'canary', 'interceptor-error': 'canary', filter: 'canary' });
    } finally {
      client.close();
      await app.close();
    }
  });
});
