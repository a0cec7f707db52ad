/**
 * The option helpers keep the user's interceptors (and run them inside the context), never modify
 * what they are given, add graylane once; GrayModule validates at once, exposes its policy, works in
 * a microservice-only app; the RxJS operator's contract on its own.
 */
import 'reflect-metadata';
import * as grpc from '@grpc/grpc-js';
import { Controller, Get, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, GrpcMethod, Transport, type ClientGrpc, type GrpcOptions } from '@nestjs/microservices';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Observable, defer, lastValueFrom, of, throwError, timer, map, toArray, catchError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { GrayConfigError, createGrayPolicy, getGrayContext, getReleaseStage, runWithStage, type GrayPolicy } from 'graylane';
import { GRAY_POLICY, GrayModule, captureGrayContext, withGrayContext, withGrayGrpcClient, withGrayGrpcServer } from 'graylane/nestjs';
import { freePort, grpcOptions, record, startLeaf, type HopService } from './chain.js';
import type { HopReply, HopRequest } from '../helpers/grpc.js';

describe('withGrayGrpcServer / withGrayGrpcClient', () => {
  it('put graylane first and keep the interceptors already passed, without modifying the input', () => {
    const mine: grpc.ServerInterceptor = (_d, call) => call as grpc.ServerInterceptingCall;
    const input = { transport: Transport.GRPC, options: { package: 'p', protoPath: 'x.proto', channelOptions: { interceptors: [mine], 'grpc.max_metadata_size': 1024 } } } satisfies GrpcOptions;
    const out = withGrayGrpcServer(input);
    expect(out.options.channelOptions.interceptors).toHaveLength(2);
    expect(out.options.channelOptions.interceptors[1]).toBe(mine);
    expect(out.options.channelOptions['grpc.max_metadata_size']).toBe(1024);
    expect(input.options.channelOptions.interceptors).toEqual([mine]);
    // Twice: graylane once.
    expect(withGrayGrpcServer(out).options.channelOptions.interceptors).toHaveLength(2);
    const client = withGrayGrpcClient({ name: 'X', ...input });
    expect(client.name).toBe('X');
    expect(client.options.channelOptions.interceptors).toHaveLength(2);
  });

  it('reject what is not gRPC options or interceptors that are not an array, with GrayConfigError', () => {
    expect(() => withGrayGrpcServer(null as unknown as GrpcOptions)).toThrow(GrayConfigError);
    expect(() => withGrayGrpcClient({ options: { package: 'p', channelOptions: { interceptors: 'no' } } })).toThrow(/channelOptions.interceptors must be an array/);
    expect(() => withGrayGrpcServer(grpcOptions('x:1'), { stages: ['NOT A STAGE'] })).toThrow(GrayConfigError);
  });

  it("the user's own server and client interceptors still run — inside the call's gray context", async () => {
    const leaf = await startLeaf();
    const seenByServerInterceptor: string[] = [];
    const seenByClientInterceptor: string[] = [];
    const userServer: grpc.ServerInterceptor = (_d, call) => new grpc.ServerInterceptingCall(call, {
      start: (next) => next({ onReceiveMessage: (m, nxt) => { seenByServerInterceptor.push(getReleaseStage()); nxt(m); } }),
    });
    const userClient: grpc.Interceptor = (options, nextCall) => new grpc.InterceptingCall(nextCall(options), {
      start: (md, listener, next) => { seenByClientInterceptor.push(md.get('x-release-stage').join('|')); next(md, listener); },
    });
    @Controller()
    class S {
      constructor(@Inject('LEAF') private readonly leafClient: ClientGrpc) {}
      @GrpcMethod('Hop', 'Unary')
      async unary(req: HopRequest): Promise<HopReply> {
        const r = await lastValueFrom(this.leafClient.getService<HopService>('Hop').unary({ id: req.id }));
        return { id: req.id, hops: [record('s', 'entry'), ...r.hops] };
      }
    }
    const leafOptions = grpcOptions(leaf.address);
    @Module({ imports: [ClientsModule.register([withGrayGrpcClient({ name: 'LEAF', ...leafOptions, options: { ...leafOptions.options, channelOptions: { interceptors: [userClient] } } })])], controllers: [S] })
    class SModule {}
    const address = `127.0.0.1:${await freePort()}`;
    const base = grpcOptions(address);
    const app = await NestFactory.createMicroservice<GrpcOptions>(SModule, { ...withGrayGrpcServer({ ...base, options: { ...base.options, channelOptions: { interceptors: [userServer] } } }), logger: false });
    await app.listen();
    const { hopClient, unary } = await import('../helpers/grpc.js');
    const client = hopClient(address);
    try {
      const md = new grpc.Metadata();
      md.set('x-release-stage', 'canary');
      const reply = await unary(client, { id: 'u1' }, md);
      expect(reply.hops.map((h) => h.stage)).toEqual(['canary', 'canary']);
      expect(seenByServerInterceptor).toEqual(['canary']);
      expect(seenByClientInterceptor).toEqual(['canary']);
    } finally {
      client.close();
      await app.close();
      await leaf.close();
    }
  });
});

describe('GrayModule', () => {
  it('forRoot throws GrayConfigError at once for bad options', () => {
    expect(() => GrayModule.forRoot({ echoStage: 'Not A Header!' })).toThrow(GrayConfigError);
    expect(() => GrayModule.forRoot({ trust: { tokenHeader: 'x-release-stage', tokens: ['t'] } })).toThrow(GrayConfigError);
    expect(() => GrayModule.forRoot({ healthPaths: ['nope'] })).toThrow(GrayConfigError);
    expect(() => GrayModule.forRootAsync({} as never)).toThrow(GrayConfigError);
  });

  it('injects the policy the edge uses (GRAY_POLICY), also from forRootAsync, and leaves a microservice-only app alone', async () => {
    const policy = createGrayPolicy({ stages: ['stable', 'canary'], defaultStage: 'stable' });
    @Controller()
    class P {
      constructor(@Inject(GRAY_POLICY) private readonly p: GrayPolicy) {}
      @Get('p') get(): { same: boolean; stage: string } { return { same: this.p === policy, stage: getReleaseStage(this.p) }; }
      @GrpcMethod('Hop', 'Unary') unary(req: HopRequest): HopReply { return { id: req.id, hops: [record(String(this.p === policy), 'entry')] }; }
    }
    @Module({ imports: [GrayModule.forRootAsync({ useFactory: async () => ({ policy, trustIncoming: true }) })], controllers: [P] })
    class AsyncModule {}
    const app = await NestFactory.create(AsyncModule, new ExpressAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      expect(await (await fetch(`${url}/p`, { headers: { 'x-release-stage': 'canary' } })).json()).toEqual({ same: true, stage: 'canary' });
      // Not in the allowlist: the default stage.
      expect(await (await fetch(`${url}/p`, { headers: { 'x-release-stage': 'beta' } })).json()).toEqual({ same: true, stage: 'stable' });
    } finally {
      await app.close();
    }
    const address = `127.0.0.1:${await freePort()}`;
    @Module({ imports: [GrayModule.forRoot({ policy })], controllers: [P] })
    class MicroModule {}
    const micro = await NestFactory.createMicroservice<GrpcOptions>(MicroModule, { ...withGrayGrpcServer(grpcOptions(address), { policy }), logger: false });
    await micro.listen();
    const { hopClient, unary } = await import('../helpers/grpc.js');
    const client = hopClient(address);
    try {
      const md = new grpc.Metadata();
      md.set('x-release-stage', 'canary');
      expect((await unary(client, { id: 'm' }, md)).hops[0]).toMatchObject({ service: 'true', stage: 'canary' });
    } finally {
      client.close();
      await micro.close();
    }
  });
});

describe('withGrayContext / captureGrayContext', () => {
  it('runs the subscription and every emission in the given context, and in none for undefined', async () => {
    const canary = createGrayPolicy().contextFor('canary');
    const subscribedIn: (string | undefined)[] = [];
    const source = defer(() => { subscribedIn.push(getGrayContext()?.stage); return timer(2).pipe(map(() => getGrayContext()?.stage)); });
    const below = (s: Observable<string | undefined>) => s.pipe(map((v) => [v, getGrayContext()?.stage]));
    expect(await lastValueFrom(below(source.pipe(withGrayContext(canary))))).toEqual(['canary', 'canary']);
    // Subscribed inside another request, but told "none": no stranger's context.
    const none = await runWithStage('blue', () => lastValueFrom(below(source.pipe(withGrayContext<string | undefined>(undefined)))));
    expect(none).toEqual([undefined, undefined]);
    expect(subscribedIn).toEqual(['canary', undefined]);
    const err = await lastValueFrom(throwError(() => new Error('x')).pipe(withGrayContext(canary), catchError(() => of(getGrayContext()?.stage))));
    expect(err).toBe('canary');
  });

  it('captureGrayContext tags each value with the context of whoever emitted it', async () => {
    const values = await new Promise<{ value: number; stage: string | undefined }[]>((resolve) => {
      const out: { value: number; stage: string | undefined }[] = [];
      const src = new Observable<number>((sub) => {
        runWithStage('canary', () => sub.next(1));
        sub.next(2);
        runWithStage('blue', () => sub.next(3));
        sub.complete();
      });
      src.pipe(captureGrayContext(), toArray()).subscribe((all) => { for (const t of all) out.push({ value: t.value, stage: t.gray?.stage }); resolve(out); });
    });
    expect(values).toEqual([{ value: 1, stage: 'canary' }, { value: 2, stage: undefined }, { value: 3, stage: 'blue' }]);
  });
});
