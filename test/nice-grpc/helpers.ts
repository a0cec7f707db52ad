/** Test helpers for nice-grpc: a probe Hop service (ts-proto generated definition), servers on 127.0.0.1:0 and clients. */
import { createChannel, createClientFactory, createServer, type Channel, type Server } from 'nice-grpc';
import type { CallContext, ServerMiddleware } from 'nice-grpc-common';
import type * as grpc from '@grpc/grpc-js';
import { getGrayContext, getReleaseStage } from '../../src/index.js';
import { grayClientMiddleware, type GrayCallContextExt } from '../../src/nice-grpc/index.js';
import {
  HopDefinition,
  type HopClient,
  type HopRecord,
  type HopReply,
  type HopRequest,
  type HopServiceImplementation,
} from '../../examples/shop/gen/nice/graylane/hop/v1/hop.js';

export type { HopClient, HopRecord, HopReply, HopRequest };

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** What the handler saw at `phase`: the ALS stage, and (when the middleware is installed) `context.gray`. */
export function record(phase: string, context: CallContext & Partial<GrayCallContextExt>, service = 'nice'): HopRecord {
  return {
    service,
    instance: context.gray?.stage ?? '-',
    stage: getReleaseStage(),
    explicit: getGrayContext()?.explicit ?? false,
    phase,
  };
}

/**
 * A probe Hop service: every reply lists what the handler saw at entry, after `await`, after each
 * `yield`, inside `for await` over the request stream and after it ended. `record.instance` holds
 * `context.gray.stage` ('-' when absent).
 */
export function probeHop(service = 'nice'): HopServiceImplementation<Partial<GrayCallContextExt>> {
  return {
    async unary(req, context) {
      const hops = [record('entry', context, service)];
      await tick();
      hops.push(record('after-await', context, service));
      return { id: req.id, hops };
    },
    async *serverStream(req, context) {
      const count = Math.max(1, req.count);
      for (let i = 0; i < count; i++) {
        const hops = [record(i === 0 ? 'entry' : 'after-yield', context, service)];
        await tick();
        hops.push(record('after-await', context, service));
        yield { id: `${req.id}/${i}`, hops };
      }
    },
    async clientStream(requests, context) {
      const hops = [record('entry', context, service)];
      let id = '';
      for await (const req of requests) {
        id = req.id;
        hops.push(record('data', context, service));
        await tick();
      }
      hops.push(record('end', context, service));
      return { id, hops };
    },
    async *bidi(requests, context) {
      let carry = [record('entry', context, service)];
      for await (const req of requests) {
        const hops = [...carry, record('data', context, service)];
        await tick();
        hops.push(record('after-await', context, service));
        yield { id: req.id, hops };
        // Runs when nice-grpc asks for the next response; reported with the next reply.
        carry = [record('after-yield', context, service)];
      }
    },
  };
}

export interface NiceServer { server: Server; address: string; close(): void }

/** Starts a nice-grpc server with `impl` on 127.0.0.1:0, with optional middleware and grpc-js server options. */
export async function startNiceServer(
  impl: HopServiceImplementation<Partial<GrayCallContextExt>>,
  options: { middleware?: ServerMiddleware<GrayCallContextExt>; serverOptions?: grpc.ServerOptions } = {},
): Promise<NiceServer> {
  const base = createServer(options.serverOptions ?? {});
  if (options.middleware !== undefined) {
    const server = base.use(options.middleware);
    server.add(HopDefinition, impl);
    return listen(server);
  }
  base.add(HopDefinition, impl);
  return listen(base);
}

async function listen(server: Server<object>): Promise<NiceServer> {
  const port = await server.listen('127.0.0.1:0');
  return { server: server as Server, address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

export interface NiceClient { client: HopClient; channel: Channel; close(): void }

/** A nice-grpc Hop client with `grayClientMiddleware` (default) or no middleware. */
export function niceHopClient(address: string, withMiddleware = true): NiceClient {
  const channel = createChannel(address);
  const factory = withMiddleware ? createClientFactory().use(grayClientMiddleware()) : createClientFactory();
  return { client: factory.create(HopDefinition, channel), channel, close: () => channel.close() };
}

/** Collects an async iterable into an array. */
export async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** An async iterable of `n` requests with ids `${prefix}-${i}`, pausing a tick between them. */
export async function* requests(prefix: string, n: number): AsyncGenerator<HopRequest> {
  for (let i = 0; i < n; i++) {
    await tick();
    yield { id: `${prefix}-${i}`, count: 0 };
  }
}

/** Every record whose ALS stage or `context.gray` stage (in `instance`) differs from `stage`: empty when all match. */
export function mismatches(hops: readonly HopRecord[], stage: string, explicit = true): string[] {
  return hops
    .filter((h) => h.stage !== stage || h.instance !== stage || h.explicit !== explicit)
    .map((h) => `${h.phase}: stage=${h.stage} gray=${h.instance} explicit=${String(h.explicit)} (expected ${stage})`);
}

/** Per-call deadline that bounds every test call in time. */
export const callSignal = (): AbortSignal => AbortSignal.timeout(20_000);
