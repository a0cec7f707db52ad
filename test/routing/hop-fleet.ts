/** Test fleet: Hop servers that report which instance (and stage) served each call. */
import * as grpc from '@grpc/grpc-js';
import { getGrayContext, getReleaseStage } from '../../src/index.js';
import { grayServerInterceptor } from '../../src/grpc-js/index.js';
import { hopClient, startServer, type HopClient, type HopRecord, type HopReply, type HopRequest, type RunningServer } from '../helpers/grpc.js';

/** A downstream call made by a middle hop for each incoming call. */
export type Downstream = (id: string) => Promise<HopRecord[]>;

export interface HopInstance {
  readonly name: string;
  readonly stage: string;
  readonly server: RunningServer;
  readonly address: string;
  /** Calls served so far. */
  served: number;
}

function record(inst: HopInstance, service: string, phase: string): HopRecord {
  const ctx = getGrayContext();
  return { service, instance: inst.name, stage: getReleaseStage(), explicit: ctx?.explicit ?? false, phase };
}

/** Starts a Hop server named `name` that answers as `service`, optionally calling `downstream`. */
export async function startHop(service: string, name: string, stage: string, downstream?: Downstream): Promise<HopInstance> {
  const inst = { name, stage, served: 0 } as HopInstance;
  const reply = async (id: string, phase: string): Promise<HopReply> => {
    inst.served++;
    const own = record(inst, service, phase);
    const below = downstream === undefined ? [] : await downstream(id);
    return { id, hops: [own, ...below] };
  };
  const impl: grpc.UntypedServiceImplementation = {
    unary: (call: grpc.ServerUnaryCall<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) => {
      reply(call.request.id, 'entry').then((r) => cb(null, r), (e: Error) => cb(e));
    },
    serverStream: async (call: grpc.ServerWritableStream<HopRequest, HopReply>) => {
      try {
        for (let i = 0; i < Math.max(1, call.request.count ?? 1); i++) call.write(await reply(`${call.request.id}#${i}`, 'entry'));
        call.end();
      } catch (e) {
        call.destroy(e as Error);
      }
    },
    clientStream: (call: grpc.ServerReadableStream<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) => {
      const ids: string[] = [];
      call.on('data', (m: HopRequest) => ids.push(m.id));
      call.on('end', () => {
        reply(ids.join(','), 'end').then((r) => cb(null, r), (e: Error) => cb(e));
      });
    },
    bidi: (call: grpc.ServerDuplexStream<HopRequest, HopReply>) => {
      const pending: Promise<void>[] = [];
      call.on('data', (m: HopRequest) => {
        pending.push(reply(m.id, 'data').then((r) => void call.write(r)));
      });
      call.on('end', () => {
        Promise.all(pending).then(() => call.end(), (e: Error) => call.destroy(e));
      });
    },
  };
  const server = await startServer(impl, { interceptors: [grayServerInterceptor()] });
  return Object.assign(inst, { server, address: server.address });
}

/** Unary call through `client` with an optional stage tag; resolves with the reply or rejects with the status error. */
export function callUnary(client: HopClient, id: string, stage?: string, deadlineMs = 5000): Promise<HopReply> {
  const md = new grpc.Metadata();
  if (stage !== undefined) md.set('x-release-stage', stage);
  return new Promise((resolve, reject) =>
    client.unary({ id }, md, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res!))),
  );
}

/** A client for `target` (e.g. `graylane:///svc`) with optional client options. */
export function routedClient(target: string, options: grpc.ClientOptions = {}): HopClient {
  return hopClient(target, options);
}

/** Closes every server and client given, ignoring errors. */
export async function closeAll(servers: readonly { server: RunningServer }[], clients: readonly grpc.Client[] = []): Promise<void> {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.server.close()));
}

/** Outcome of one call of a load run. */
export interface LoadResult {
  readonly start: number;
  readonly end: number;
  readonly instance?: string;
  readonly code?: number;
  readonly details?: string;
}

/**
 * Runs at most `total` calls, `concurrency` at a time, stopping early after `maxMs`. `onProgress`
 * runs after each call (e.g. to kill a server mid-run). Times are `performance.now()`.
 */
export async function runLoad(options: {
  total: number;
  concurrency: number;
  maxMs: number;
  call: (i: number) => Promise<HopReply>;
  onProgress?: (done: number) => void | Promise<void>;
}): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  const deadline = performance.now() + options.maxMs;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.total && performance.now() < deadline) {
      const i = next++;
      const start = performance.now();
      try {
        const reply = await options.call(i);
        results.push({ start, end: performance.now(), instance: reply.hops[0]!.instance });
      } catch (e) {
        const err = e as grpc.ServiceError;
        results.push({ start, end: performance.now(), code: err.code, details: err.details });
      }
      await options.onProgress?.(results.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return results;
}

/** Retries `check` every 25 ms until it passes or `timeoutMs` elapses (then rethrows its last error). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (performance.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** The instance that served a unary call tagged `stage` (or the error code as `code:<n>`). */
export async function servedBy(client: HopClient, stage: string | undefined): Promise<string> {
  try {
    return (await callUnary(client, 'probe', stage, 2000)).hops[0]!.instance;
  } catch (e) {
    return `code:${(e as grpc.ServiceError).code}`;
  }
}
