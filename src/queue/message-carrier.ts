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
 * The gray context of a consumed message: its headers validated by `policy` (junk, oversized or
 * non-text values give the default stage and are reported through the policy's `onInvalid`).
 * No headers at all: the policy's default context. Never throws.
 */
export function messageGrayContext(headers: MessageHeaders | null | undefined, policy: GrayPolicy): GrayContext {
  if (headers === undefined || headers === null || typeof headers !== 'object') return policy.defaultContext;
  return extractGrayContext(headers, messageHeadersGetter, policy);
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
