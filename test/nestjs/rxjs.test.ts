/**
 * Issue 16, the failing case: an RxJS pipeline built outside a request (a Subject + bufferTime batcher
 * subscribed in onModuleInit) makes its gRPC calls when it flushes, outside every request's context —
 * a canary request's work reaches the next service as stable. `captureGrayContext()` +
 * `withGrayContext()` carry each item's stage: one batch per stage, each sent with its stage.
 */
import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module, Query, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, type ClientGrpc } from '@nestjs/microservices';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Subject, bufferTime, filter, from, groupBy, map, mergeMap, toArray, type Subscription } from 'rxjs';
import type { GrayPolicy } from 'graylane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAY_POLICY, GrayModule, captureGrayContext, withGrayContext, withGrayGrpcClient } from 'graylane/nestjs';
import { TOKEN, grpcOptions, startChain, type Chain, type HopService } from './chain.js';
import type { HopReply } from '../helpers/grpc.js';

interface Item { id: string; done: (reply: HopReply) => void }

/** The batcher as a user writes it today: calls B from the bufferTime timer, in no request's context. */
@Injectable()
class NaiveBatcher implements OnModuleInit, OnModuleDestroy {
  readonly items = new Subject<Item>();
  private sub?: Subscription;
  constructor(@Inject('B') private readonly client: ClientGrpc) {}
  onModuleInit(): void {
    const b = this.client.getService<HopService>('Hop');
    this.sub = this.items.pipe(
      bufferTime(25),
      filter((batch) => batch.length > 0),
      mergeMap((batch) => b.unary({ id: batch.map((i) => i.id).join(',') }).pipe(map((reply) => ({ batch, reply })))),
    ).subscribe(({ batch, reply }) => batch.forEach((i) => i.done(reply)));
  }
  onModuleDestroy(): void { this.sub?.unsubscribe(); }
}

/**
 * The documented pattern: tag each item with its context where it enters, buffer as before, split
 * each buffer per stage, and make each stage's call inside a context of that stage (built with the
 * injected policy, so no one item's extra keys are sent for the others).
 */
@Injectable()
class GrayBatcher implements OnModuleInit, OnModuleDestroy {
  readonly items = new Subject<Item>();
  private sub?: Subscription;
  constructor(@Inject('B') private readonly client: ClientGrpc, @Inject(GRAY_POLICY) private readonly policy: GrayPolicy) {}
  onModuleInit(): void {
    const b = this.client.getService<HopService>('Hop');
    this.sub = this.items.pipe(
      captureGrayContext(),
      bufferTime(25),
      mergeMap((buffer) => from(buffer).pipe(groupBy((t) => t.gray?.stage ?? this.policy.defaultStage), mergeMap((perStage) => perStage.pipe(toArray())))),
      mergeMap((batch) => b.unary({ id: batch.map((t) => t.value.id).join(',') }).pipe(
        withGrayContext(this.policy.contextFor(batch[0]!.gray?.stage ?? this.policy.defaultStage)),
        map((reply) => ({ batch: batch.map((t) => t.value), reply })),
      )),
    ).subscribe(({ batch, reply }) => batch.forEach((i) => i.done(reply)));
  }
  onModuleDestroy(): void { this.sub?.unsubscribe(); }
}

@Controller()
class BatchController {
  constructor(@Inject(NaiveBatcher) private readonly naive: NaiveBatcher, @Inject(GrayBatcher) private readonly gray: GrayBatcher) {}
  @Get('batch')
  batch(@Query('id') id: string, @Query('via') via: string): Promise<{ batch: string; stages: string[] }> {
    const subject = via === 'gray' ? this.gray.items : this.naive.items;
    return new Promise((resolve) => subject.next({ id, done: (reply) => resolve({ batch: reply.id, stages: reply.hops.map((h) => h.stage) }) }));
  }
}

let chain: Chain;
let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  chain = await startChain();
  @Module({
    imports: [
      GrayModule.forRoot({ trust: { tokenHeader: 'x-gray-token', tokens: [TOKEN] } }),
      ClientsModule.register([withGrayGrpcClient({ name: 'B', ...grpcOptions(chain.b.url) })]),
    ],
    controllers: [BatchController],
    providers: [NaiveBatcher, GrayBatcher],
  })
  class BatchModule {}
  const app = await NestFactory.create(BatchModule, new ExpressAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  close = async () => { await app.close(); await chain.close(); };
});
afterAll(async () => { await close?.(); });

async function burst(via: 'naive' | 'gray'): Promise<{ id: string; stage: string; batch: string; stages: string[] }[]> {
  const stages = ['canary', 'stable', 'blue'];
  return Promise.all(Array.from({ length: 60 }, async (_, i) => {
    const stage = stages[i % 3]!;
    const res = await fetch(`${url}/batch?via=${via}&id=${stage}-${i}`, { headers: { 'x-release-stage': stage, 'x-gray-token': TOKEN } });
    return { id: `${stage}-${i}`, stage, ...((await res.json()) as { batch: string; stages: string[] }) };
  }));
}

describe('RxJS pipelines built outside a request (Subject + bufferTime in onModuleInit)', () => {
  it('without the operators, a canary item is sent on as stable (the bug the issue reports)', async () => {
    const results = await burst('naive');
    const canary = results.filter((r) => r.stage === 'canary');
    expect(canary.length).toBe(20);
    // B and the leaf saw the default stage for every canary item: its stage was lost.
    for (const r of canary) expect(r.stages).toEqual(['stable', 'stable', 'stable']);
  });

  it('with captureGrayContext + withGrayContext, every item is batched with its own stage and sent with it', async () => {
    const results = await burst('gray');
    for (const r of results) {
      // B (after-await), the leaf, and B's decorators all saw the item's stage ...
      expect({ id: r.id, stages: r.stages }).toEqual({ id: r.id, stages: [r.stage, r.stage, r.stage] });
      // ... and the batch holds only items of that stage.
      expect(r.batch.split(',').every((id) => id.startsWith(`${r.stage}-`))).toBe(true);
      expect(r.batch.split(',')).toContain(r.id);
    }
    // Batching still happened (fewer calls than items).
    expect(new Set(results.map((r) => r.batch)).size).toBeLessThan(results.length);
  });
});
