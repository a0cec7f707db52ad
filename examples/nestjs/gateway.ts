// The edge: a Nest HTTP app (Express here; new FastifyAdapter() works the same). GrayModule installs
// graylane's HTTP edge: a client-sent stage counts only with the trust token, and the policy is
// injectable. withGrayGrpcClient makes calls to pricing carry the stage. The audit batcher is the
// RxJS pattern for pipelines built outside a request: tag items, buffer, split per stage, send each
// stage's batch inside a context of that stage.
import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module, Query, type INestApplication, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, type ClientGrpc } from '@nestjs/microservices';
import { Subject, bufferTime, from, groupBy, lastValueFrom, mergeMap, toArray, type Subscription } from 'rxjs';
import type { GrayPolicy } from 'graylane';
import { GRAY_POLICY, GrayModule, ReleaseStage, captureGrayContext, withGrayContext, withGrayGrpcClient } from 'graylane/nestjs';
import { hopOptions, type HopService } from './hop.js';

@Injectable()
class AuditBatcher implements OnModuleInit, OnModuleDestroy {
  private readonly events = new Subject<{ id: string; sent: (pricingStage: string) => void }>();
  private sub?: Subscription;
  constructor(@Inject('PRICING') private readonly client: ClientGrpc, @Inject(GRAY_POLICY) private readonly policy: GrayPolicy) {}

  record(id: string): Promise<string> {
    return new Promise((sent) => this.events.next({ id, sent }));
  }

  onModuleInit(): void {
    const pricing = this.client.getService<HopService>('Hop');
    const stageOf = (gray: { stage: string } | undefined): string => gray?.stage ?? this.policy.defaultStage;
    this.sub = this.events.pipe(
      captureGrayContext(), // each event with the context of the request that emitted it
      bufferTime(20),
      mergeMap((buffer) => from(buffer).pipe(groupBy((e) => stageOf(e.gray)), mergeMap((perStage) => perStage.pipe(toArray())))),
      mergeMap((batch) => pricing.unary({ id: batch.map((e) => e.value.id).join(',') }).pipe(
        withGrayContext(this.policy.contextFor(stageOf(batch[0]!.gray))), // the call carries the batch's stage
        mergeMap((reply) => batch.map((e) => () => e.value.sent(reply.hops[0]!.stage))),
      )),
    ).subscribe((deliver) => deliver());
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }
}

@Controller()
class GatewayController implements OnModuleInit {
  private pricing!: HopService;
  constructor(@Inject('PRICING') private readonly client: ClientGrpc, @Inject(AuditBatcher) private readonly audit: AuditBatcher) {}

  onModuleInit(): void {
    this.pricing = this.client.getService<HopService>('Hop');
  }

  @Get('price')
  async price(@Query('id') id: string, @ReleaseStage() stage: string): Promise<{ gateway: string; pricing: string; audit: string }> {
    const reply = await lastValueFrom(this.pricing.unary({ id }));
    const audit = await this.audit.record(id);
    return { gateway: stage, pricing: reply.hops[0]!.stage, audit };
  }
}

export async function startGateway(pricingUrl: string, token: string): Promise<INestApplication> {
  @Module({
    imports: [
      GrayModule.forRoot({ trust: { tokenHeader: 'x-gray-token', tokens: [token] } }),
      ClientsModule.register([withGrayGrpcClient({ name: 'PRICING', ...hopOptions(pricingUrl) })]),
    ],
    controllers: [GatewayController],
    providers: [AuditBatcher],
  })
  class GatewayModule {}
  const app = await NestFactory.create(GatewayModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

