/**
 * The hop trace wire format (`x-gray-hops` trailer) and `readHopTrace`: a compact, validated list
 * of the hops a traced call went through. Parsing untrusted input never throws.
 * @packageDocumentation
 */
import { parseStage } from '../core/stage.js';

import { HOP_TRACE_KEY, HOPS_TRAILER_KEY } from '../core/control-keys.js';
export { HOP_TRACE_KEY, HOPS_TRAILER_KEY };
/** Most hops kept in one trace; the rest are dropped and the trace marked `incomplete`. */
export const MAX_HOPS = 64;
/** Longest accepted `x-gray-hops` value, in characters. */
export const MAX_HOPS_LENGTH = 8192;

/** One server a traced call went through. */
export interface GrayHop {
  /** 0 for the server that answered the caller, 1 for its downstream calls, and so on. */
  readonly depth: number;
  /** The service name the server was configured with. */
  readonly service: string;
  /** The instance (default `hostname:pid`). */
  readonly instance: string;
  /** The stage the server resolved for the call. */
  readonly stage: string;
  /** `true` when the stage came from the request, `false` when it was the default. */
  readonly explicit: boolean;
}

/**
 * What {@link readHopTrace} found: no trace (`absent`), a trace (`ok`; `incomplete` when hops were
 * dropped or a downstream call returned no valid trace), or an unreadable trailer (`invalid`).
 */
export type HopTrace =
  | { readonly status: 'absent' }
  | { readonly status: 'ok'; readonly hops: readonly GrayHop[]; readonly incomplete: boolean }
  | { readonly status: 'invalid'; readonly reason: string };

const NAME = /^[A-Za-z0-9._:@/-]{1,128}$/;
const INCOMPLETE = '...';

/** `true` for a service or instance name allowed in a hop: `[A-Za-z0-9._:@/-]`, 1–128 characters. */
export function isHopName(value: string): boolean {
  return NAME.test(value);
}

/** Encodes hops (and the incomplete mark) as a trailer value, dropping hops past the limits. */
export function encodeHops(hops: readonly GrayHop[], incomplete: boolean): string {
  let out = '';
  let count = 0;
  for (const hop of hops) {
    const part = `${hop.depth};${hop.service};${hop.instance};${hop.stage};${hop.explicit ? 1 : 0}`;
    if (count >= MAX_HOPS || out.length + part.length + 1 + INCOMPLETE.length + 1 > MAX_HOPS_LENGTH) {
      incomplete = true;
      break;
    }
    out = count === 0 ? part : `${out},${part}`;
    count++;
  }
  return incomplete ? (count === 0 ? INCOMPLETE : `${out},${INCOMPLETE}`) : out;
}

function parseHop(part: string): GrayHop | string {
  const fields = part.split(';');
  if (fields.length !== 5) return 'a hop must have 5 fields';
  const [depthText, service, instance, stage, explicit] = fields as [string, string, string, string, string];
  const depth = /^[0-9]{1,2}$/.test(depthText) ? Number(depthText) : -1;
  if (depth < 0 || depth >= MAX_HOPS) return 'bad depth';
  if (!NAME.test(service) || !NAME.test(instance)) return 'bad service or instance name';
  const parsed = parseStage(stage);
  if (!parsed.ok || parsed.stage !== stage) return 'bad stage';
  if (explicit !== '0' && explicit !== '1') return 'bad explicit flag';
  return { depth, service, instance, stage, explicit: explicit === '1' };
}

/** Parses an `x-gray-hops` value. Never throws; junk gives `{ status: 'invalid', reason }`. */
export function parseHops(value: unknown): HopTrace {
  if (value === undefined) return { status: 'absent' };
  if (typeof value !== 'string') return { status: 'invalid', reason: 'not text' };
  if (value.length > MAX_HOPS_LENGTH) return { status: 'invalid', reason: 'too long' };
  const parts = value.split(',');
  let incomplete = false;
  if (parts[parts.length - 1] === INCOMPLETE) {
    incomplete = true;
    parts.pop();
  }
  if (parts.length > MAX_HOPS) return { status: 'invalid', reason: 'too many hops' };
  const hops: GrayHop[] = [];
  for (const part of parts) {
    const hop = parseHop(part);
    if (typeof hop === 'string') return { status: 'invalid', reason: hop };
    hops.push(hop);
  }
  if (hops.length > 0 && hops[0]!.depth !== 0) return { status: 'invalid', reason: 'first hop must have depth 0' };
  for (let i = 1; i < hops.length; i++) {
    if (hops[i]!.depth < 1 || hops[i]!.depth > hops[i - 1]!.depth + 1) return { status: 'invalid', reason: 'depths out of order' };
  }
  return { status: 'ok', hops, incomplete };
}

/** Where {@link readHopTrace} can read a trace from. */
export type HopTraceSource =
  | { get(key: string): ReadonlyArray<string | Buffer> }
  | { readonly metadata?: { get(key: string): ReadonlyArray<string | Buffer> } }
  | Readonly<Record<string, unknown>>
  | string
  | null
  | undefined;

/**
 * Reads the hop trace of a finished call from its trailers: a grpc-js `Metadata`, a status or
 * error object (anything with `.metadata`, e.g. from `call.on('status')`), a plain header record,
 * or the raw trailer value. Never throws: junk gives `{ status: 'invalid' }`, no trace `{ status: 'absent' }`.
 */
export function readHopTrace(source: HopTraceSource): HopTrace {
  try {
    if (source === undefined || source === null) return { status: 'absent' };
    if (typeof source === 'string') return parseHops(source);
    const s = source as Record<string, unknown>;
    if (typeof s['get'] === 'function') {
      const values = (s as { get(key: string): ReadonlyArray<unknown> }).get(HOPS_TRAILER_KEY);
      if (!Array.isArray(values) || values.length === 0) return { status: 'absent' };
      if (values.length > 1) return { status: 'invalid', reason: 'more than one x-gray-hops value' };
      return parseHops(values[0]);
    }
    if (typeof s['metadata'] === 'object' && s['metadata'] !== null) return readHopTrace(s['metadata'] as HopTraceSource);
    const direct = s[HOPS_TRAILER_KEY];
    return parseHops(Array.isArray(direct) ? direct[0] : direct);
  } catch {
    return { status: 'invalid', reason: 'unreadable trailers' };
  }
}
