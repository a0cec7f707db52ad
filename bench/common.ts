/**
 * What the benchmark processes share: the scenario and topology names, the one-method service with
 * raw `Buffer` messages (so serialization cost is the same, and tiny, everywhere), and the IPC shapes.
 * @packageDocumentation
 */
import type { ServiceDefinition } from '@grpc/grpc-js';

/** Every scenario the harness knows, in report order. */
export const ALL_SCENARIOS = [
  'raw',
  'hand',
  'hand-routed',
  'graylane',
  'full',
  'fused',
  'graylane-forward',
  'graylane-call',
  'nice-grpc',
  'nice-hand',
  'routing',
  'otel-off',
  'otel-on',
  'graylane-lean',
] as const;
export type Scenario = (typeof ALL_SCENARIOS)[number];

/**
 * What runs without `--scenarios`: the baselines and the scenarios the targets judge, plus
 * OpenTelemetry baggage (sampler off) for scale. The others are opt-in.
 */
export const DEFAULT_SCENARIOS: readonly Scenario[] = ['hand', 'hand-routed', 'graylane', 'full', 'fused', 'nice-hand', 'nice-grpc', 'otel-off'];

/** One sentence per scenario, for the report. */
export const SCENARIO_LABELS: Record<Scenario, string> = {
  raw: 'raw grpc-js, tag not forwarded',
  hand: 'hand-written: read `x-release-stage` from call.metadata, set it on a new outgoing Metadata',
  'hand-routed': 'hand-written forwarding plus hand-written stage routing: one plain client per stage instance of the next hop (the addresses `full` routes to), the call sent on the client of its stage, else stable — the connections `full` uses, without graylane',
  graylane: 'grayServerInterceptor + grayClientInterceptor',
  full: 'everything: grayServerInterceptor, grayServerMetricsInterceptor and grayHopTraceServerInterceptor on every hop; grayClientInterceptor, grayClientMetricsInterceptor, grayHopTraceClientInterceptor and rollbackGuardInterceptor on each downstream client, routed by registerGrayRouting (static registry, graylane:/// target)',
  fused: 'the full stack installed with the composers: grayGrpcServerStack({ metrics, hopTrace }) on every hop and grayGrpcClientStack({ metrics, hopTrace, guard }) on each downstream client (one fused interceptor per side), routed by registerGrayRouting as `full`',
  'graylane-forward': 'grayServerInterceptor + forwardGrayMetadata(call) on a plain client',
  'graylane-call': 'forwardGrayMetadata(call) on a plain server and client: no interceptors, so no AsyncLocalStorage (leaf reads extractGrayContext(call.metadata))',
  'nice-grpc': 'graylane nice-grpc: grayServerMiddleware + grayClientMiddleware',
  'nice-hand': 'nice-grpc without graylane, hand-written: read the key from ctx.metadata, pass it in the next call\'s metadata (baseline for `nice-grpc`)',
  routing: 'graylane interceptors + registerGrayRouting (static registry, graylane:/// target)',
  'otel-off': 'OpenTelemetry baggage + instrumentation-grpc, AlwaysOffSampler',
  'otel-on': 'OpenTelemetry baggage + instrumentation-grpc, AlwaysOnSampler + BatchSpanProcessor (no-op exporter)',
  'graylane-lean': 'EXPERIMENT: grayServerInterceptor + bench/lean-client-interceptor.ts (thin forwarding call instead of a grpc-js InterceptingCall)',
};

/** Hops after the client: 1 (client → A) or 3 (client → A → B → C). */
export type Hops = 1 | 3;

export const STAGE_KEY = 'x-release-stage';
/** Stages the client cycles through (never the default, so a dropped tag is visible). */
export const BENCH_STAGES = ['canary', 'blue', 'v2'] as const;
/** Service name of the downstream hop in the routing registry (`graylane:///bench.next`). */
export const ROUTED_SERVICE = 'bench.next';

const identity = (b: Buffer): Buffer => b;

/** `/graylane.bench.Bench/Call`: unary, raw bytes in and out. */
export const benchService: ServiceDefinition = {
  call: {
    path: '/graylane.bench.Bench/Call',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'call',
  },
};

/** The reply a leaf sends for a stage; cached so every scenario pays the same (nothing). */
const replies = new Map<string, Buffer>();
export function stageReply(stage: string | undefined): Buffer {
  const key = stage ?? '';
  let buf = replies.get(key);
  if (buf === undefined) {
    buf = Buffer.from(key);
    if (replies.size < 64) replies.set(key, buf);
  }
  return buf;
}

/** Processes of the scenario `s` preload OpenTelemetry. */
export function isOtel(s: Scenario): boolean {
  return s === 'otel-off' || s === 'otel-on';
}

/** CPU time of a process, microseconds (user + system). */
export function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** The `cpu` IPC answer: CPU µs so far, and when (µs on the monotonic clock CPU profiles use). */
export interface CpuReading {
  readonly cpuUs: number;
  readonly tUs: number;
}

/** Reads {@link CpuReading} now. */
export function cpuReading(): CpuReading {
  return { cpuUs: cpuMicros(), tUs: Number(process.hrtime.bigint() / 1000n) };
}

/** Parent → child request. */
export interface IpcRequest {
  readonly id: number;
  readonly cmd: string;
  readonly args?: Record<string, unknown>;
}

/** Child → parent answer (`id` 0 with `ready` is the start-up message). */
export interface IpcReply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
  readonly ready?: { readonly port?: number };
}

/** Serves IPC requests in a child: `handlers[cmd](args)`; `cpu` and `exit` are built in. */
export function serveIpc(handlers: Record<string, (args: Record<string, unknown>) => unknown>): void {
  const send = (msg: IpcReply): void => {
    if (process.connected) process.send?.(msg);
  };
  process.on('message', (raw: unknown) => {
    const req = raw as IpcRequest;
    if (req.cmd === 'exit') process.exit(0);
    if (req.cmd === 'cpu') return send({ id: req.id, ok: true, result: cpuReading() });
    const handler = handlers[req.cmd];
    if (handler === undefined) return send({ id: req.id, ok: false, error: `unknown command ${req.cmd}` });
    Promise.resolve()
      .then(() => handler(req.args ?? {}))
      .then((result) => send({ id: req.id, ok: true, result }), (err: unknown) => send({ id: req.id, ok: false, error: String(err) }));
  });
  // The parent went away (crash, Ctrl-C): never outlive it.
  process.on('disconnect', () => process.exit(0));
}
