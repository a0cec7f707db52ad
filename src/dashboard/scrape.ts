/**
 * Reads one service's `/metrics` (bounded: timeout, size cap, no redirects) into graylane's
 * per-stage counts: calls served per gRPC service and stage, calls made per callee and stage
 * (the lane graph's edges), HTTP requests per stage, and the latency histograms.
 * @packageDocumentation
 */
import { parsePrometheusText, type PromSample } from './prom-text.js';

/** Calls, failures and the cumulative latency buckets (`le` in seconds → count) of one stage. */
export interface StageCounts {
  /** Completed calls. */
  total: number;
  /** Failed calls (gRPC code not OK / CANCELLED, HTTP 5xx). */
  errors: number;
  /** Cumulative histogram buckets: upper bound in seconds → calls at or under it. */
  readonly buckets: Map<number, number>;
}

/** One scrape of one metrics endpoint, by series. */
export interface Reading {
  /** When it was read (ms since the epoch). */
  readonly at: number;
  /** Served calls: gRPC service (or `''` for HTTP) → stage → counts. */
  readonly served: Map<string, Map<string, StageCounts>>;
  /** Outgoing calls: callee gRPC service → stage → counts (no buckets). */
  readonly called: Map<string, Map<string, StageCounts>>;
}

/** Limits of {@link scrapeMetrics}. */
export interface ScrapeLimits {
  /** Deadline of one scrape in ms. Default `2000`. */
  readonly timeoutMs?: number;
  /** Largest body read, in bytes. Default `4 MiB`. */
  readonly maxBytes?: number;
}

const NAMES = new Set([
  'grpc_server_handled_total', 'grpc_server_handling_seconds_bucket', 'grpc_client_handled_total',
  'http_requests_total', 'http_request_duration_seconds_bucket',
]);
const GRPC_OK = new Set(['OK', 'CANCELLED']);

function counts(map: Map<string, Map<string, StageCounts>>, key: string, stage: string): StageCounts {
  let byStage = map.get(key);
  if (byStage === undefined) map.set(key, (byStage = new Map()));
  let c = byStage.get(stage);
  if (c === undefined) byStage.set(stage, (c = { total: 0, errors: 0, buckets: new Map() }));
  return c;
}

/** Folds parsed samples into a {@link Reading}. */
export function toReading(samples: readonly PromSample[], at: number): Reading {
  const served = new Map<string, Map<string, StageCounts>>();
  const called = new Map<string, Map<string, StageCounts>>();
  for (const s of samples) {
    const stage = s.labels.release_stage;
    if (stage === undefined || !Number.isFinite(s.value)) continue;
    switch (s.name) {
      case 'grpc_server_handled_total':
      case 'grpc_client_handled_total': {
        const c = counts(s.name === 'grpc_server_handled_total' ? served : called, s.labels.grpc_service ?? '', stage);
        c.total += s.value;
        if (!GRPC_OK.has(s.labels.grpc_code ?? '')) c.errors += s.value;
        break;
      }
      case 'http_requests_total': {
        const c = counts(served, '', stage);
        c.total += s.value;
        if ((s.labels.code ?? '').startsWith('5')) c.errors += s.value;
        break;
      }
      default: {
        const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
        if (Number.isNaN(le)) break;
        const c = counts(served, s.name === 'http_request_duration_seconds_bucket' ? '' : s.labels.grpc_service ?? '', stage);
        c.buckets.set(le, (c.buckets.get(le) ?? 0) + s.value);
      }
    }
  }
  return { at, served, called };
}

/** Fetches `url` and reads it; rejects with a short reason (timeout, HTTP status, too large). */
export async function scrapeMetrics(url: string, limits: ScrapeLimits = {}): Promise<Reading> {
  const maxBytes = limits.maxBytes ?? 4 * 1024 * 1024;
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(limits.timeoutMs ?? 2000), headers: { accept: 'text/plain' } });
  if (!res.ok || res.body === null) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`response larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return toReading(parsePrometheusText(text, { names: NAMES }), Date.now());
}
