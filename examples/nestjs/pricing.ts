// The backend: a Nest gRPC microservice. withGrayGrpcServer adds graylane's server interceptor to
// the options (keeping any interceptors you pass in channelOptions), so every handler, guard, pipe
// and interceptor of every call type runs inside the caller's gray context.
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GrpcMethod, Payload, type GrpcOptions } from '@nestjs/microservices';
import { ReleaseStage, withGrayGrpcServer } from 'graylane/nestjs';
import { hopOptions, type HopReply, type HopRequest } from './hop.js';

@Controller()
class PricingController {
  @GrpcMethod('Hop', 'Unary')
  async unary(@Payload() req: HopRequest, @ReleaseStage() stage: string): Promise<HopReply> {
    // A canary pricing rule would be chosen here by `stage`.
    return { id: req.id, hops: [{ service: 'pricing', instance: 'pricing-1', stage, explicit: stage !== 'stable', phase: 'entry' }] };
  }
}

@Module({ controllers: [PricingController] })
class PricingModule {}

export async function startPricing(url: string): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice<GrpcOptions>(PricingModule, { ...withGrayGrpcServer(hopOptions(url)), logger: false });
  await app.listen();
  return app;
}
