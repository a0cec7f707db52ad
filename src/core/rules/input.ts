/**
 * What coloring rules look at, read through any carrier: headers, cookies, path and query.
 * @packageDocumentation
 */
import type { GrayGetter } from '../carrier.js';
import { normalizePath } from '../path.js';
import { parseCookies } from './cookies.js';
import type { ColoringInput } from './types.js';

/**
 * A {@link ColoringInput} over any carrier: headers through `getter` (lower-case names), cookies
 * from the `cookie` key (parsed once, on first use), and path and query from `url` (e.g. Node's
 * `req.url`, `'/api/orders?lane=canary'`). The path is normalised ({@link normalizePath}: dot
 * segments resolved, `%2e` decoded, repeated slashes collapsed, query dropped). Never throws.
 */
export function coloringInput<C>(carrier: C, getter: GrayGetter<C>, url?: string): ColoringInput {
  let cookies: Map<string, string> | undefined;
  let query: URLSearchParams | undefined;
  const mark = url === undefined ? -1 : url.indexOf('?');
  return {
    header: (name) => getter.get(carrier, name),
    cookie(name) {
      cookies ??= parseCookies(getter.get(carrier, 'cookie'));
      return cookies.get(name);
    },
    path: url === undefined ? undefined : normalizePath(url),
    query(name) {
      if (url === undefined || mark < 0) return undefined;
      query ??= new URLSearchParams(url.slice(mark + 1));
      return query.get(name) ?? undefined;
    },
  };
}
