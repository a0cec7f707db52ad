// Shared by the two services: the hop proto shipped with graylane, and Nest's gRPC options for it.
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { createRequire } from 'node:module';
import type { Observable } from 'rxjs';

export const HOP_PROTO = createRequire(import.meta.url).resolve('graylane/protos/graylane/hop/v1/hop.proto');

export function hopOptions(url: string): GrpcOptions {
  return { transport: Transport.GRPC, options: { package: 'graylane.hop.v1', protoPath: HOP_PROTO, url, loader: { defaults: true } } };
}

export interface HopRecord { service: string; instance: string; stage: string; explicit: boolean; phase: string }
export interface HopRequest { id: string; count?: number }
export interface HopReply { id: string; hops: HopRecord[] }
/** The Hop service as Nest's ClientGrpc exposes it. */
export interface HopService { unary(req: HopRequest): Observable<HopReply> }
