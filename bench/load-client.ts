/**
 * The load generator, run as its own process: plain grpc-js calls to the first hop, each tagged
 * with a stage (metadata, or OTel baggage in the OTel scenarios); checks the stage the leaf saw.
 * Every loop is bounded by a call count and a time limit. Usage: load-client.ts <scenario> <host:port>
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import type * as GrpcJs from '@grpc/grpc-js';
import { ROOT_CONTEXT, context as otelContext, propagation, type Baggage } from '@opentelemetry/api';
import { BENCH_STAGES, STAGE_KEY, benchService, isOtel, serveIpc, type Scenario } from './common.js';

const grpc = createRequire(import.meta.url)('@grpc/grpc-js') as typeof GrpcJs;

type Reply = (err: GrpcJs.ServiceError | null, res?: Buffer) => void;
interface BenchClient extends GrpcJs.Client {
  call(req: Buffer, md: GrpcJs.Metadata, opts: GrpcJs.CallOptions, cb: Reply): GrpcJs.ClientUnaryCall;
}

const scenario = process.argv[2] as Scenario;
const target = process.argv[3]!;
const Ctor = grpc.makeGenericClientConstructor(benchService, 'Bench') as unknown as new (t: string, c: GrpcJs.ChannelCredentials) => BenchClient;
const client = new Ctor(target, grpc.credentials.createInsecure());
const REQUEST = Buffer.from('ping');
const otel = isOtel(scenario);
const checkStage = scenario !== 'raw';
const baggage: Baggage[] = BENCH_STAGES.map((s) => propagation.createBaggage({ [STAGE_KEY]: { value: s } }));

let seq = 0;
let lostTags = 0;
let errors = 0;
let firstError: string | undefined;

/** One tagged call; resolves when it completes (errors are counted, never thrown). */
function oneCall(): Promise<void> {
  const i = seq++ % BENCH_STAGES.length;
  const stage = BENCH_STAGES[i]!;
  return new Promise((resolve) => {
    const done: Reply = (err, res) => {
      if (err) {
        errors++;
        firstError ??= err.message;
      } else if (checkStage && (res === undefined || res.toString('latin1') !== stage)) {
        lostTags++;
      }
      resolve();
    };
    const opts = { deadline: Date.now() + 5000 };
    if (otel) {
      otelContext.with(propagation.setBaggage(ROOT_CONTEXT, baggage[i]!), () => client.call(REQUEST, new grpc.Metadata(), opts, done));
    } else {
      const md = new grpc.Metadata();
      md.set(STAGE_KEY, stage);
      client.call(REQUEST, md, opts, done);
    }
  });
}

function counters(): { lostTags: number; errors: number; firstError: string | undefined } {
  const out = { lostTags, errors, firstError };
  lostTags = 0;
  errors = 0;
  firstError = undefined;
  return out;
}

/** `concurrency` workers until `maxCalls` calls are done or `ms` have passed. */
async function closedLoop(args: Record<string, unknown>): Promise<{ calls: number; elapsedMs: number; lostTags: number; errors: number; firstError: string | undefined }> {
  const concurrency = Number(args.concurrency ?? 64);
  const maxCalls = Number(args.maxCalls ?? 1e6);
  const ms = Number(args.ms ?? 1000);
  counters();
  let started = 0;
  let calls = 0;
  const t0 = performance.now();
  const deadline = t0 + ms;
  const worker = async (): Promise<void> => {
    while (started < maxCalls && performance.now() < deadline) {
      started++;
      await oneCall();
      calls++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { calls, elapsedMs: performance.now() - t0, ...counters() };
}

/** Concurrency 1: per-call latency of up to `calls` calls within `ms`; p50/p99 in µs. */
async function latency(args: Record<string, unknown>): Promise<{ calls: number; p50Us: number; p99Us: number; lostTags: number; errors: number; firstError: string | undefined }> {
  const max = Number(args.calls ?? 1000);
  const deadline = performance.now() + Number(args.ms ?? 5000);
  counters();
  const samples = new Float64Array(max);
  let n = 0;
  while (n < max && performance.now() < deadline) {
    const t = performance.now();
    await oneCall();
    samples[n++] = performance.now() - t;
  }
  const sorted = samples.subarray(0, n).sort();
  const at = (q: number): number => (n === 0 ? NaN : sorted[Math.min(n - 1, Math.floor(q * n))]! * 1000);
  return { calls: n, p50Us: at(0.5), p99Us: at(0.99), ...counters() };
}

/** Waits for the chain to answer (channels connected, every hop up). */
async function ready(): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const before = errors;
    await oneCall();
    if (errors === before) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`chain not ready: ${firstError ?? 'timeout'}`);
}

serveIpc({ ready, closedLoop, latency });
process.send?.({ id: 0, ok: true, ready: {} });
