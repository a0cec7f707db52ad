/** HTTP edge test helpers: a real grpc-js Hop backend, loopback HTTP servers and a bounded client. */
import * as grpc from '@grpc/grpc-js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getGrayContext } from '../../src/index.js';
import { grayClientInterceptor, grayServerInterceptor } from '../../src/grpc-js/index.js';
import { hopClient, startServer, unary, type HopClient, type RunningServer } from '../helpers/grpc.js';

/** What a gateway route answers: the stage it saw and the stage the gRPC backend saw. */
export interface GatewayReply { id: string; local: string | null; explicit: boolean; downstream: string }

/** A Hop backend (trusts incoming metadata, as an internal hop does) and a client through grayClientInterceptor. */
export interface Backend { server: RunningServer; client: HopClient; close(): Promise<void> }

export async function startBackend(): Promise<Backend> {
  const server = await startServer({
    unary: (call: grpc.ServerUnaryCall<{ id: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      // Yield for a while so many calls are in flight together.
      setTimeout(() => {
        const ctx = getGrayContext();
        cb(null, { id: call.request.id, hops: [{ service: 'backend', instance: 'b1', stage: ctx?.stage ?? 'none', explicit: ctx?.explicit ?? false, phase: 'after-await' }] });
      }, Number(call.request.id.replace(/\D/g, '') || 0) % 7);
    },
  }, { interceptors: [grayServerInterceptor()] });
  const client = hopClient(server.address, { interceptors: [grayClientInterceptor()] });
  return { server, client, close: async () => { client.close(); await server.close(); } };
}

/**
 * A barrier: `wait()` resolves once `target` requests are waiting (or after `maxMs`), so a burst of
 * requests is provably in flight at the same time. `peak` is the most that waited together.
 */
export class Gate {
  private waiting = 0;
  private release!: () => void;
  private readonly opened: Promise<void>;
  peak = 0;

  constructor(private readonly target: number, maxMs = 15_000) {
    this.opened = new Promise<void>((resolve) => (this.release = resolve));
    const timer = setTimeout(() => this.release(), maxMs);
    void this.opened.then(() => clearTimeout(timer));
  }

  async wait(): Promise<void> {
    this.waiting++;
    this.peak = Math.max(this.peak, this.waiting);
    if (this.waiting >= this.target) this.release();
    await this.opened;
    this.waiting--;
  }
}

/** The gateway route: reads the context, optionally waits at a gate, awaits a gRPC call downstream, answers what both saw. */
export async function gatewayReply(client: HopClient, id: string, gate?: Gate): Promise<GatewayReply> {
  const ctx = getGrayContext();
  await new Promise((r) => setImmediate(r));
  if (gate !== undefined) await gate.wait();
  const reply = await unary(client, { id });
  return { id, local: ctx?.stage ?? null, explicit: ctx?.explicit ?? false, downstream: reply.hops[0]!.stage };
}

export interface RunningHttp { port: number; close(): Promise<void> }

/** Listens on 127.0.0.1:0 and closes every connection on close. */
export async function listen(server: http.Server): Promise<RunningHttp> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface HttpResult { status: number; headers: http.IncomingHttpHeaders; body: string }

/** One request on loopback, bounded by a 10 s timeout. */
export function request(port: number, path: string, headers: Record<string, string> = {}, init: { method?: string; body?: string; agent?: http.Agent } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers, agent: init.agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout on ${path}`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

/** GET returning the parsed JSON reply. */
export async function getJson<T = GatewayReply>(port: number, path: string, headers: Record<string, string> = {}, agent?: http.Agent): Promise<T> {
  const res = await request(port, path, headers, { agent });
  if (res.status !== 200) throw new Error(`HTTP ${res.status} on ${path}: ${res.body}`);
  return JSON.parse(res.body) as T;
}

/**
 * Sends `count` requests at once (the gateway should hold them at a {@link Gate}), each with a unique trusted stage (`s-<i>`), and checks that both
 * the gateway and the gRPC backend saw exactly that stage. Returns the number of mismatches.
 */
export async function concurrentUniqueStages(port: number, count: number, token: string, path = '/call'): Promise<{ mismatches: number; done: number }> {
  // Requests go out at once on `count` sockets; the gateway's gate holds them until all have arrived.
  const agent = new http.Agent({ keepAlive: true, maxSockets: count });
  try {
    const replies = await Promise.all(Array.from({ length: count }, (_, i) =>
      getJson(port, `${path}?id=r${i}`, { 'x-gray-token': token, 'x-release-stage': `s-${i}` }, agent)));
    let mismatches = 0;
    replies.forEach((r, i) => {
      if (r.id !== `r${i}` || r.local !== `s-${i}` || r.downstream !== `s-${i}`) mismatches++;
    });
    return { mismatches, done: replies.length };
  } finally {
    agent.destroy();
  }
}
