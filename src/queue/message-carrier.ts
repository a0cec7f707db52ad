/**
 * Message headers as a carrier, for every queue adapter: stamping the propagated keys into a copy of
 * a message's headers, and reading (validating) a consumed message's context from them.
 * @packageDocumentation
 */
import { extractGrayContext, type GrayGetter } from '../core/carrier.js';
import { getGrayContext, type GrayContext } from '../core/context.js';
import type { GrayPolicy } from '../core/policy.js';
import { asciiLower } from '../core/stage.js';

/** Message headers as brokers hand them over: names to values of any type (strings, numbers, buffers, tables). */
export type MessageHeaders = Readonly<Record<string, unknown>>;

/** The longest header value read as text; longer values read as junk (no work proportional to a hostile size). */
const MAX_READ = 4096;

function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.length > MAX_READ ? value.slice(0, MAX_READ + 1) : value;
  if (Array.isArray(value)) return value.length === 0 ? undefined : asText(value[0]);
  if (value instanceof Uint8Array) return value.length > MAX_READ ? '\u0000'.repeat(MAX_READ + 1) : Buffer.from(value).toString('utf8');
  // Numbers, booleans, nested tables: never a valid stage or carried value; read as junk so the
  // policy reports it (bad characters) and falls back to the default stage.
  return '\u0000';
}

/**
 * Reads message headers of any value type. Names match case-insensitively (the exact lower-case
 * name first); text, buffers (UTF-8) and the first element of arrays are read; any other type reads
 * as an invalid value. Internal.
 */
export const messageHeadersGetter: GrayGetter<MessageHeaders> = {
  get(headers, key) {
    if (Object.hasOwn(headers, key)) return asText(headers[key]);
    for (const name of Object.keys(headers)) {
      if (name.length === key.length && asciiLower(name) === key) return asText(headers[name]);
    }
    return undefined;
  },
  keys(headers) {
    return Object.keys(headers).map(asciiLower);
  },
};

/**
 * Header names lower-cased into a null-prototype record (the first of names equal but for case
 * wins), so each later lookup is one exact read: linear in the number of headers, however a hostile
 * publisher cases them. Returns `headers` itself when every name is already lower-case. Internal.
 */
export function lowerCaseHeaders(headers: MessageHeaders): MessageHeaders {
  let out: Record<string, unknown> | undefined;
  const names = Object.keys(headers);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const lower = asciiLower(name);
    if (out === undefined) {
      if (lower === name) continue;
      out = Object.create(null) as Record<string, unknown>;
      for (let j = 0; j < i; j++) out[names[j]!] = headers[names[j]!];
    }
    if (!Object.hasOwn(out, lower)) out[lower] = headers[name];
  }
  return out ?? headers;
}

/**
 * Headers given as `[name, value]` pairs (e.g. a NATS `MsgHdrs`, values as string arrays) as a
 * null-prototype record with lower-case names; the first name wins. Linear. Internal.
 */
export function headersFromEntries(entries: Iterable<readonly [string, unknown]>): MessageHeaders {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of entries) {
    const lower = asciiLower(name);
    if (!Object.hasOwn(out, lower)) out[lower] = value;
  }
  return out;
}

/** Reads lower-cased headers ({@link lowerCaseHeaders}): one exact read per key. */
const lowerHeadersGetter: GrayGetter<MessageHeaders> = {
  get: (headers, key) => (Object.hasOwn(headers, key) ? asText(headers[key]) : undefined),
  keys: (headers) => Object.keys(headers),
};

/**
 * The gray context of a consumed message: its headers validated by `policy` (junk, oversized or
 * non-text values give the default stage and are reported through the policy's `onInvalid`).
 * No headers at all: the policy's default context. Header names match case-insensitively. Never throws.
 */
export function messageGrayContext(headers: MessageHeaders | null | undefined, policy: GrayPolicy): GrayContext {
  if (headers === undefined || headers === null || typeof headers !== 'object') return policy.defaultContext;
  return extractGrayContext(lowerCaseHeaders(headers), lowerHeadersGetter, policy);
}

function hasHeader(headers: MessageHeaders, key: string): boolean {
  return messageHeadersGetter.get(headers, key) !== undefined;
}

/**
 * A new header object: the publisher's own `headers` (kept as given; a key they set wins) plus the
 * entries of `ctx` (default: the current gray context) they do not hold. Never modifies `headers`.
 * Returns `headers` itself when there is nothing to add.
 */
export function stampHeaders<H extends MessageHeaders>(headers: H | undefined, ctx: GrayContext | undefined = getGrayContext()): H | Record<string, unknown> | undefined {
  if (ctx === undefined) return headers;
  const entries = ctx.entries;
  let out: Record<string, unknown> | undefined;
  for (const key in entries) {
    if (headers !== undefined && hasHeader(headers, key)) continue;
    out ??= headers === undefined ? {} : { ...headers };
    out[key] = entries[key];
  }
  return out ?? headers;
}
