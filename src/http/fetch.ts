/**
 * Outgoing HTTP: add the current gray context's headers to a `fetch` / undici request without
 * overwriting headers the caller set and without modifying the caller's objects.
 * @packageDocumentation
 */
import { injectGrayContext, recordCarrier, type GraySetter } from '../core/carrier.js';
import { getGrayContext, type GrayContext } from '../core/context.js';
import { asciiLower } from '../core/stage.js';

/** Header shapes accepted by `fetch`: a `Headers` instance, an array of `[name, value]` pairs, or a plain object. */
export type GrayHeadersInit = Headers | readonly (readonly [string, string])[] | Record<string, string>;

/** What {@link withGrayHeaders} returns: a fresh, mutable copy (assignable to `fetch`'s `HeadersInit`). */
export type GrayHeadersCopy = Headers | [string, string][] | Record<string, string>;

const headersSetter: GraySetter<Headers> = {
  set: (h, key, value) => h.set(key, value),
  has: (h, key) => h.has(key),
};

const pairsSetter: GraySetter<[string, string][]> = {
  set: (pairs, key, value) => void pairs.push([key, value]),
  has: (pairs, key) => pairs.some(([name]) => asciiLower(name) === key),
};

function isHeaders(value: unknown): value is Headers {
  return typeof Headers === 'function' && value instanceof Headers;
}

/**
 * Returns a copy of `headers` (same shape: `Headers`, pairs array or plain object; a plain object
 * when omitted) with the gray context's entries added. Names the caller already set are kept,
 * compared case-insensitively. The caller's object is never modified.
 *
 * @param ctx - the context to add. Default: the current gray context (nothing is added outside one).
 * @example
 * await fetch(url, { headers: withGrayHeaders({ accept: 'application/json' }) });
 */
export function withGrayHeaders(headers?: Record<string, string>, ctx?: GrayContext): Record<string, string>;
export function withGrayHeaders(headers: Headers, ctx?: GrayContext): Headers;
export function withGrayHeaders(headers: readonly (readonly [string, string])[], ctx?: GrayContext): [string, string][];
export function withGrayHeaders(headers?: GrayHeadersInit, ctx?: GrayContext): GrayHeadersCopy;
export function withGrayHeaders(headers?: GrayHeadersInit, ctx: GrayContext | undefined = getGrayContext()): GrayHeadersCopy {
  if (isHeaders(headers)) return injectGrayContext(ctx, new Headers(headers), headersSetter);
  if (Array.isArray(headers)) {
    const pairs = (headers as readonly (readonly [string, string])[]).map(([k, v]): [string, string] => [k, v]);
    return injectGrayContext(ctx, pairs, pairsSetter);
  }
  const copy: Record<string, string> = { ...(headers as Record<string, string> | undefined) };
  return injectGrayContext(ctx, copy, recordCarrier) as Record<string, string>;
}

/**
 * Returns a copy of a `fetch` `init` whose `headers` carry the gray context (see
 * {@link withGrayHeaders}); the other fields are copied as they are.
 *
 * @param ctx - the context to add. Default: the current gray context.
 * @example
 * await fetch('http://inventory.internal/items', grayFetchInit({ method: 'POST', body }));
 */
export function grayFetchInit<I extends { headers?: unknown }>(init?: I, ctx: GrayContext | undefined = getGrayContext()): Omit<I, 'headers'> & { headers: GrayHeadersCopy } {
  const headers = withGrayHeaders(init?.headers as GrayHeadersInit | undefined, ctx);
  return { ...(init as I), headers };
}
