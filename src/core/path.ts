/**
 * Request-path normalisation for path rules and health checks: what a router or proxy resolves a
 * request target to, computed in one linear pass, so `/beta/../admin` is not "under `/beta/`".
 * @packageDocumentation
 */

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** RFC 3986 unreserved characters: the only ones whose percent-encoding is decoded. */
function isUnreserved(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
}

/**
 * The normalised path of a request target (`req.url`, a gRPC method path): query and fragment
 * dropped; an absolute-form target (`http://host/p`) reduced to its path; percent-encoded
 * unreserved characters decoded (`%2e` → `.`, `%62` → `b`) and other escapes upper-cased;
 * repeated slashes collapsed; `.` and `..` segments resolved (never above the root). A trailing
 * slash is kept. A target that is neither a path nor absolute-form (e.g. `*`) is returned as it is.
 * Linear in the target's length; never throws.
 *
 * @example
 * normalizePath('/beta/%2e%2e//admin?x=1'); // '/admin'
 */
export function normalizePath(target: string): string {
  let start = 0;
  if (target.charCodeAt(0) !== 0x2f) {
    const scheme = SCHEME.exec(target);
    if (scheme === null) return target;
    start = scheme[0].length;
    while (start < target.length && target[start] !== '/' && target[start] !== '?' && target[start] !== '#') start++;
  }
  let end = target.length;
  for (let i = start; i < end; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x3f || c === 0x23) end = i;
  }
  const out: string[] = [];
  let trailing = false;
  let segment = '';
  const finish = (): void => {
    if (segment === '' || segment === '.') trailing = true;
    else if (segment === '..') {
      out.pop();
      trailing = true;
    } else {
      out.push(segment);
      trailing = false;
    }
    segment = '';
  };
  for (let i = start; i < end; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x2f) {
      if (i > start) finish();
      continue;
    }
    if (c === 0x25 && i + 2 < end) {
      const hi = hexValue(target.charCodeAt(i + 1));
      const lo = hexValue(target.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        const byte = hi * 16 + lo;
        segment += isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX[hi]}${HEX[lo]}`;
        i += 2;
        continue;
      }
    }
    segment += target[i];
  }
  if (end > start) finish();
  return '/' + out.join('/') + (trailing && out.length > 0 ? '/' : '');
}
