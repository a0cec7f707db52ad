/**
 * The Fetch-API `Headers` carrier: how the core reads and writes a `Headers` object (Fetch
 * `Request`s and `Response`s, Connect-ES request and response headers).
 * @packageDocumentation
 */
import type { GrayGetter, GraySetter } from './carrier.js';

/**
 * Getter/setter pair for Fetch `Headers`. A name sent twice reads as one comma-joined value
 * (`'canary, beta'`), as `Headers.get` returns it; the stage takes the first. Never throws: a value
 * `Headers` rejects (a byte outside Latin-1, a line break) is skipped on write.
 */
export const headersCarrier: GrayGetter<Headers> & GraySetter<Headers> = {
  get(headers, key) {
    return headers.get(key) ?? undefined;
  },
  keys(headers) {
    return headers.keys();
  },
  set(headers, key, value) {
    try {
      headers.set(key, value);
    } catch {
      // Headers rejects some values (non-Latin-1, CR/LF); such a value is not written.
    }
  },
  has(headers, key) {
    return headers.has(key);
  },
};

/** `true` for a Fetch `Headers` instance. */
export function isHeaders(value: unknown): value is Headers {
  return typeof Headers === 'function' && value instanceof Headers;
}
