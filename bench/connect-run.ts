/**
 * One measurement of bench/connect.ts, in its own process: a 3-hop Connect chain (client → A → B →
 * C, Connect-ES over the gRPC protocol, HTTP/2 on loopback) carrying the stage either with
 * graylane/connect's interceptors or with hand-written forwarding (an AsyncLocalStorage of our own,
 * the header read, checked and run in at each server, set on each outgoing call). Every call sends
 * a stage; the leaf's reply says which it saw. Prints one JSON line: CPU µs per call of the process.
 * Usage: node bench/.out/connect-run.js graylane|hand CALLS WARMUP
 * @packageDocumentation
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fileDesc, serviceDesc } from '@bufbuild/protobuf/codegenv2';
import { createClient, type Interceptor } from '@connectrpc/connect';
import { connectNodeAdapter, createGrpcTransport } from '@connectrpc/connect-node';
import { getReleaseStage } from 'graylane';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/connect';

const [variant, nArg, warmArg] = process.argv.slice(2);
const N = Number(nArg);
const WARMUP = Number(warmArg);
const KEY = 'x-release-stage';
const STAGES = ['canary', 'blue', 'v2'] as const;
const CONCURRENCY = 32;
const VALID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

// graylane.hop.v1.Hop (protos/graylane/hop/v1/hop.proto), as examples/connect/gen/…/hop_pb.ts embeds it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const Hop: any = serviceDesc(fileDesc("ChlncmF5bGFuZS9ob3AvdjEvaG9wLnByb3RvEg9ncmF5bGFuZS5ob3AudjEiJwoKSG9wUmVxdWVzdBIKCgJpZBgBIAEoCRINCgVjb3VudBgCIAEoBSJACghIb3BSZXBseRIKCgJpZBgBIAEoCRIoCgRob3BzGAIgAygLMhouZ3JheWxhbmUuaG9wLnYxLkhvcFJlY29yZCJeCglIb3BSZWNvcmQSDwoHc2VydmljZRgBIAEoCRIQCghpbnN0YW5jZRgCIAEoCRINCgVzdGFnZRgDIAEoCRIQCghleHBsaWNpdBgEIAEoCBINCgVwaGFzZRgFIAEoCTKeAgoDSG9wEj8KBVVuYXJ5EhsuZ3JheWxhbmUuaG9wLnYxLkhvcFJlcXVlc3QaGS5ncmF5bGFuZS5ob3AudjEuSG9wUmVwbHkSSAoMU2VydmVyU3RyZWFtEhsuZ3JheWxhbmUuaG9wLnYxLkhvcFJlcXVlc3QaGS5ncmF5bGFuZS5ob3AudjEuSG9wUmVwbHkwARJICgxDbGllbnRTdHJlYW0SGy5ncmF5bGFuZS5ob3AudjEuSG9wUmVxdWVzdBoZLmdyYXlsYW5lLmhvcC52MS5Ib3BSZXBseSgBEkIKBEJpZGkSGy5ncmF5bGFuZS5ob3AudjEuSG9wUmVxdWVzdBoZLmdyYXlsYW5lLmhvcC52MS5Ib3BSZXBseSgBMAFiBnByb3RvMw"), 0);

const als = new AsyncLocalStorage<string>();
const handServer: Interceptor = (next) => async (req) => {
  const s = req.header.get(KEY);
  return s !== null && VALID.test(s) ? als.run(s, () => next(req)) : next(req);
};
const handClient: Interceptor = (next) => async (req) => {
  const s = als.getStore();
  if (s !== undefined && !req.header.has(KEY)) req.header.set(KEY, s);
  return next(req);
};
const hand = variant === 'hand';
const serverInterceptors = (): Interceptor[] => [hand ? handServer : grayServerInterceptor({ trustIncoming: true })];
const clientInterceptors = (): Interceptor[] => [hand ? handClient : grayClientInterceptor()];

async function serve(unary: (req: { id: string }) => Promise<unknown>): Promise<{ url: string; server: http2.Http2Server }> {
  const server = http2.createServer(connectNodeAdapter({ routes: (router) => router.service(Hop, { unary } as never), interceptors: serverInterceptors() }));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const clientOf = (url: string): any => createClient(Hop, createGrpcTransport({ baseUrl: url, interceptors: clientInterceptors() }));

async function main(): Promise<void> {
  if (!['graylane', 'hand'].includes(variant ?? '') || !(N > 0)) throw new Error('usage: connect-run.js graylane|hand CALLS WARMUP');
  const c = await serve(async (req) => ({ id: req.id, hops: [{ service: 'C', stage: hand ? als.getStore() ?? 'stable' : getReleaseStage() }] }));
  const toC = clientOf(c.url);
  const b = await serve((req) => toC.unary(req));
  const toB = clientOf(b.url);
  const a = await serve((req) => toB.unary(req));
  // The load client sends the stage header itself (no context on its side) over the gRPC protocol.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const client: any = createClient(Hop, createGrpcTransport({ baseUrl: a.url }));
  let lost = 0;
  const run = async (count: number): Promise<void> => {
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const stage = STAGES[next++ % STAGES.length]!;
        const reply = await client.unary({ id: 'x' }, { headers: { [KEY]: stage } });
        if (reply.hops[0]?.stage !== stage) lost++;
      }
    }));
  };
  await run(WARMUP);
  lost = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(N);
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ variant, calls: N, cpuUsPerCall: (cpu.user + cpu.system) / N, callsPerSec: N / (ms / 1000), lost })}\n`);
  for (const s of [a, b, c]) s.server.close();
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
