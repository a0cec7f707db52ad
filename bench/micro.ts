/**
 * Micro benchmarks (tinybench), run in their own process by bench/run.ts: the per-call pieces of
 * graylane's hot path next to the grpc-js and AsyncLocalStorage baselines they are built from.
 * Each task runs its operation BATCH times per sample, so timer overhead does not swamp tens of ns.
 * Runs compiled, on the built package. Prints one JSON line: `[{ name, group, nsPerOp, rme }]`.
 * Usage: micro.js [--quick]
 * @packageDocumentation
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as grpc from '@grpc/grpc-js';
import { Bench } from 'tinybench';
import { createGrayPolicy, defaultGrayPolicy, extractGrayContext, runWithGrayContext } from 'graylane';
import { forwardGrayMetadata, grayClientInterceptor, grayServerInterceptor, grpcMetadataCarrier } from 'graylane/grpc-js';
import { STAGE_KEY } from './common.js';
import { leanGrayClientInterceptor } from './lean-client-interceptor.js';

const BATCH = 1000;
const quick = process.argv.includes('--quick');
const bench = new Bench({ time: quick ? 150 : 600, warmupTime: quick ? 50 : 200 });

export interface MicroResult {
  readonly name: string;
  readonly group: 'baseline' | 'graylane';
  readonly nsPerOp: number;
  /** Relative margin of error of the sample mean, percent. */
  readonly rme: number;
}

let sink: unknown;
const groups = new Map<string, MicroResult['group']>();
function add(name: string, group: MicroResult['group'], op: () => unknown, wrap?: (loop: () => void) => void): void {
  groups.set(name, group);
  const loop = (): void => {
    for (let i = 0; i < BATCH; i++) sink = op();
  };
  bench.add(name, wrap === undefined ? loop : () => wrap(loop));
}

// Incoming metadata as a hop sees it: the stage plus the usual grpc-js headers.
const incoming = new grpc.Metadata();
incoming.set(STAGE_KEY, 'canary');
incoming.set('user-agent', 'grpc-node-js/1.14');
incoming.set('grpc-accept-encoding', 'identity,deflate,gzip');
const prefixed = incoming.clone();
prefixed.set('x-gray-user', 'u-42');
prefixed.set('x-gray-tenant', 't-7');
prefixed.set('x-request-id', 'r-1');
const prefixPolicy = createGrayPolicy({ keyPrefix: 'x-gray-' });
const serverCall = { metadata: incoming };
const ctx = extractGrayContext(incoming, grpcMetadataCarrier);
const inCtx = (loop: () => void): void => runWithGrayContext(ctx, loop);

const als = new AsyncLocalStorage<object>();
const store = {};
const noop = (): number => 1;

// A next call that does nothing, to time what an interceptor's start() itself costs per call.
const nextCall: grpc.NextCall = () => ({
  cancelWithStatus() {}, getPeer: () => '', start() {}, sendMessageWithContext() {}, sendMessage() {}, startRead() {}, halfClose() {},
} as unknown as ReturnType<grpc.NextCall>);
const listener = { onReceiveMetadata() {}, onReceiveMessage() {}, onReceiveStatus() {} };
const callOptions = { method_definition: {} } as unknown as grpc.InterceptorOptions;
const gray = grayClientInterceptor();
const lean = leanGrayClientInterceptor();
const policy = defaultGrayPolicy();
const passThrough: grpc.Interceptor = (options, next) => new grpc.InterceptingCall(next(options));

add('als.run(store, fn)', 'baseline', () => als.run(store, noop));
add('new Metadata() + set', 'baseline', () => {
  const md = new grpc.Metadata();
  md.set(STAGE_KEY, 'canary');
  return md;
});
add('hand-written: md.get(key)[0] + new Metadata() + set', 'baseline', () => {
  const md = new grpc.Metadata();
  const v = incoming.get(STAGE_KEY)[0];
  if (v !== undefined) md.set(STAGE_KEY, v);
  return md;
});
add('Metadata.clone() (3 keys)', 'baseline', () => incoming.clone());
add('pass-through client interceptor: InterceptingCall + start', 'baseline', () =>
  passThrough(callOptions, nextCall).start(new grpc.Metadata(), listener));
add('forwardGrayMetadata() in a context', 'graylane', () => forwardGrayMetadata(), inCtx);
add('forwardGrayMetadata(call)', 'graylane', () => forwardGrayMetadata(serverCall));
add('extractGrayContext(md), stage only', 'graylane', () => extractGrayContext(incoming, grpcMetadataCarrier));
add("extractGrayContext(md), keyPrefix 'x-gray-' (6 keys)", 'graylane', () => extractGrayContext(prefixed, grpcMetadataCarrier, prefixPolicy));
add('grayClientInterceptor: InterceptingCall + start (merge) in a context', 'graylane', () =>
  gray(callOptions, nextCall).start(new grpc.Metadata(), listener), inCtx);
add('grayClientInterceptor: InterceptingCall + start, no context', 'graylane', () =>
  gray(callOptions, nextCall).start(new grpc.Metadata(), listener));
add('policy.contextFor(stage) (shared per-stage context)', 'graylane', () => policy.contextFor('canary'));
add('EXPERIMENT lean client interceptor: start (merge) in a context', 'graylane', () =>
  lean(callOptions, nextCall).start(new grpc.Metadata(), listener), inCtx);

// A unary server call as grpc-js drives a server interceptor: start, then metadata, message and
// half-close delivered to the listener, then the status sent. The call object is a stub (no I/O),
// so this is what the interceptor itself costs per call, frame copies and allocations included.
type Listener = Parameters<grpc.ServerInterceptingCallInterface['start']>[0];
const serverMethod = { path: '/graylane.bench.Bench/Call', requestStream: false, responseStream: false } as unknown as grpc.ServerMethodDefinition<unknown, unknown>;
const inner: Listener = { onReceiveMetadata() {}, onReceiveMessage() {}, onReceiveHalfClose() {}, onCancel() {} };
const okStatus = { code: grpc.status.OK, details: 'OK', metadata: new grpc.Metadata() };
function unaryServerCall(interceptor: grpc.ServerInterceptor | undefined): unknown {
  let listener: Listener | undefined;
  const stub = {
    start(l: Listener) { listener = l; }, sendMetadata() {}, sendMessage() {}, sendStatus() {}, startRead() {},
    getPeer: () => '', getDeadline: () => Infinity, getHost: () => '',
  } as unknown as grpc.ServerInterceptingCallInterface;
  const call = interceptor === undefined ? stub : interceptor(serverMethod, stub);
  call.start(inner);
  const md = new grpc.Metadata();
  md.set(STAGE_KEY, 'canary');
  md.set('user-agent', 'grpc-node-js/1.14');
  listener!.onReceiveMetadata(md);
  listener!.onReceiveMessage(1);
  listener!.onReceiveHalfClose();
  call.sendStatus(okStatus);
  return call;
}
const grayServer = grayServerInterceptor();
add('unary server call, no interceptor (stub call: start, metadata, message, half-close, status)', 'baseline', () => unaryServerCall(undefined));
add('grayServerInterceptor: the same unary server call', 'graylane', () => unaryServerCall(grayServer));

// The balancer's pick is measured against a real channel, at 1 to 1,000 instances per stage, by bench/scale.ts.

await bench.run();
const results: MicroResult[] = bench.tasks.map((task) => {
  const r = task.result as { latency?: { mean: number; rme: number } };
  return {
    name: task.name,
    group: groups.get(task.name) ?? 'graylane',
    nsPerOp: r.latency === undefined ? NaN : (r.latency.mean * 1e6) / BATCH,
    rme: r.latency?.rme ?? NaN,
  };
});
if (sink === 42) console.error('unreachable');
process.stdout.write(`${JSON.stringify(results)}\n`);
