/**
 * `graylane trace`: calls a live service with a stage and the hop trace switched on, and returns the
 * path the call took — "run a real call chain end to end before go-live and check x-release-stage
 * at every hop".
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import { HOPS_TRAILER_KEY, HOP_TRACE_KEY, parseHops, readHopTrace, type HopTrace } from '../observe/hop-trace.js';

/** What to trace. */
export interface TraceRequest {
  /** `host:port` (gRPC) or an `http(s)://` URL of a graylane HTTP edge that returns the `x-gray-hops` header. */
  readonly target: string;
  /** Full gRPC method path, e.g. `/graylane.shop.v1.Orders/PlaceOrder` (gRPC targets only). */
  readonly method?: string;
  /** Stage to send; `false` sends none (the edge decides from the other headers, as for `graylane explain`). Default `'canary'`. */
  readonly stage?: string | false;
  /** Extra metadata / headers, e.g. `{ 'x-gray-token': '…' }`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Request body: protobuf bytes for gRPC (default: empty message, which every proto3 method decodes), text for HTTP. */
  readonly body?: Uint8Array | string;
  /** Deadline in milliseconds. Default `5000`. */
  readonly timeoutMs?: number;
}

/** What came back: the call's outcome and the hop trace. */
export interface TraceResult {
  readonly ok: boolean;
  readonly status: string;
  readonly trace: HopTrace;
  /** Hops whose stage differs from the stage sent (with no stage sent: from the first hop's). */
  readonly mismatched: number;
}

function finish(ok: boolean, status: string, trace: HopTrace, sent: string | false): TraceResult {
  const stage = sent === false && trace.status === 'ok' ? trace.hops[0]?.stage : sent;
  const mismatched = trace.status === 'ok' ? trace.hops.filter((h) => h.stage !== stage).length : 0;
  return { ok, status, trace, mismatched };
}

async function traceHttp(req: TraceRequest, stage: string | false): Promise<TraceResult> {
  const res = await fetch(req.target, {
    method: req.body === undefined ? 'GET' : 'POST',
    headers: { ...req.headers, ...(stage === false ? {} : { 'x-release-stage': stage }), [HOP_TRACE_KEY]: '1' },
    body: typeof req.body === 'string' ? req.body : undefined,
    signal: AbortSignal.timeout(req.timeoutMs ?? 5000),
  });
  await res.arrayBuffer();
  const trace = parseHops(res.headers.get(HOPS_TRAILER_KEY) ?? undefined);
  return finish(res.ok, `HTTP ${res.status}`, trace, stage);
}

function traceGrpc(req: TraceRequest, stage: string | false): Promise<TraceResult> {
  if (!req.method?.startsWith('/')) throw new Error('graylane trace: --method /package.Service/Method is required for a gRPC target.');
  const client = new grpc.Client(req.target, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(req.headers ?? {})) md.set(k.toLowerCase(), v);
  if (stage !== false) md.set('x-release-stage', stage);
  md.set(HOP_TRACE_KEY, '1');
  const body = Buffer.from(typeof req.body === 'string' ? Buffer.from(req.body, 'base64') : req.body ?? new Uint8Array());
  const raw = (b: Buffer) => b;
  return new Promise((resolve) => {
    const call = client.makeUnaryRequest(req.method!, raw, raw, body, md, { deadline: Date.now() + (req.timeoutMs ?? 5000) }, () => undefined);
    call.on('status', (status: grpc.StatusObject) => {
      client.close();
      const name = grpc.status[status.code] ?? String(status.code);
      // grpc-js reports details 'OK' for a successful call: print them only when they add something.
      const ok = status.code === grpc.status.OK;
      resolve(finish(ok, !ok && status.details ? `${name}: ${status.details}` : name, readHopTrace(status), stage));
    });
  });
}

/** Calls `target` once with `stage` and the hop trace on. Never throws for a failed call: see `ok` and `status`. */
export function traceCall(req: TraceRequest): Promise<TraceResult> {
  const stage = req.stage ?? 'canary';
  return /^https?:\/\//.test(req.target) ? traceHttp(req, stage) : traceGrpc(req, stage);
}

/** Renders a result as the lines the CLI prints. */
export function formatTrace(req: TraceRequest, result: TraceResult): string[] {
  const stage = req.stage === false ? 'none' : req.stage ?? 'canary';
  const lines = [`graylane trace → ${req.target}${req.method ?? ''} with x-release-stage: ${stage}`, `status: ${result.status}`];
  const { trace } = result;
  if (trace.status === 'absent') {
    lines.push('no hop trace came back: is grayHopTraceServerInterceptor installed on the services?');
  } else if (trace.status === 'invalid') {
    lines.push(`hop trace unreadable: ${trace.reason}`);
  } else {
    for (const h of trace.hops) lines.push(`  ${'  '.repeat(h.depth)}${h.service} (${h.instance}) stage=${h.stage}${h.explicit ? '' : ' (default)'}${h.stage === stage ? '' : '  ← tag lost'}`);
    lines.push(result.mismatched === 0
      ? `path: ${trace.hops.length} hops, stage ${stage} at every hop${trace.incomplete ? ' (trace cut short: too many hops)' : ''}`
      : `path: ${trace.hops.length} hops, ${result.mismatched} without stage ${stage}`);
  }
  return lines;
}
