/** Test chain: real Hop servers on 127.0.0.1:0 whose unary handler calls the next hop (if any). */
import * as grpc from '@grpc/grpc-js';
import { getGrayContext } from '../../src/core/context.js';
import { grayClientInterceptor } from '../../src/grpc-js/client-interceptor.js';
import { hopClient, startServer, unary, type HopClient, type HopReply, type HopRequest, type RunningServer } from '../helpers/grpc.js';

export interface ChainHop {
  readonly name: string;
  readonly server: RunningServer;
  readonly downstream: HopClient | undefined;
}

export interface HopOptions {
  readonly name: string;
  readonly serverInterceptors: grpc.ServerInterceptor[];
  readonly clientInterceptors?: grpc.Interceptor[];
  readonly next?: string;
  /** Failure code to return instead of answering (for error injection). */
  readonly fail?: () => grpc.status | undefined;
}

/** Starts one hop; its handler answers with its own stage, then the downstream hop's records. */
export async function startHop(options: HopOptions): Promise<ChainHop> {
  const downstream = options.next === undefined
    ? undefined
    : hopClient(options.next, { interceptors: [grayClientInterceptor(), ...(options.clientInterceptors ?? [])] });
  const server = await startServer({
    unary(call: grpc.ServerUnaryCall<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
      const failure = options.fail?.();
      if (failure !== undefined) return cb({ code: failure, details: 'injected' });
      const ctx = getGrayContext();
      const own = { service: options.name, instance: options.name, stage: ctx?.stage ?? 'none', explicit: ctx?.explicit ?? false, phase: 'entry' };
      if (downstream === undefined) return cb(null, { id: call.request.id, hops: [own] });
      unary(downstream, call.request).then(
        (reply) => cb(null, { id: call.request.id, hops: [own, ...reply.hops] }),
        (err: grpc.ServiceError) => cb(err),
      );
    },
    serverStream(call: grpc.ServerWritableStream<HopRequest, HopReply>) {
      const ctx = getGrayContext();
      for (let i = 0; i < (call.request.count || 1); i++) {
        call.write({ id: call.request.id, hops: [{ service: options.name, instance: options.name, stage: ctx?.stage ?? 'none', explicit: ctx?.explicit ?? false, phase: 'entry' }] });
      }
      call.end();
    },
  }, { interceptors: options.serverInterceptors });
  return { name: options.name, server, downstream };
}

export async function stopHops(hops: readonly ChainHop[]): Promise<void> {
  for (const hop of hops) {
    hop.downstream?.close();
    await hop.server.close();
  }
}

/** A unary call that resolves with the reply (or error) and the final status, trailers included. */
export function unaryWithStatus(client: HopClient, req: HopRequest, md = new grpc.Metadata()): Promise<{ reply?: HopReply; error?: grpc.ServiceError; status: grpc.StatusObject }> {
  return new Promise((resolve) => {
    let reply: HopReply | undefined;
    let error: grpc.ServiceError | undefined;
    const call = client.unary(req, md, (err, res) => {
      error = err ?? undefined;
      reply = res;
    });
    call.on('status', (status: grpc.StatusObject) => setImmediate(() => resolve({ reply, error, status })));
  });
}

export function stageMetadata(stage: string | undefined, extra: Record<string, string> = {}): grpc.Metadata {
  const md = new grpc.Metadata();
  if (stage !== undefined) md.set('x-release-stage', stage);
  for (const [k, v] of Object.entries(extra)) md.set(k, v);
  return md;
}
