/**
 * The W3C `baggage` header, minimally and strictly: parse list members into key/values and add one
 * member to an existing header. Untrusted input never throws; oversize input is ignored.
 * @packageDocumentation
 */

/** Name of the W3C baggage header / metadata key: `'baggage'`. */
export const BAGGAGE_HEADER = 'baggage';
/** Longest header accepted or written, in characters (W3C: 8192 bytes). */
export const MAX_BAGGAGE_LENGTH = 8192;
/** Most list members read from one header (as OpenTelemetry JS). */
export const MAX_BAGGAGE_MEMBERS = 180;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** baggage-octet: printable ASCII except space, '"', ',', ';' and '\' (percent-encoding uses '%'). */
const OCTETS = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;

/** `true` when `key` is a valid baggage key (an HTTP token). */
export function isBaggageKey(key: string): boolean {
  return TOKEN.test(key);
}

function splitMember(member: string): [string, string] | undefined {
  const semi = member.indexOf(';');
  const pair = semi === -1 ? member : member.slice(0, semi);
  const eq = pair.indexOf('=');
  if (eq === -1) return undefined;
  const key = pair.slice(0, eq).trim();
  const raw = pair.slice(eq + 1).trim();
  if (!TOKEN.test(key) || !OCTETS.test(raw)) return undefined;
  try {
    return [key, decodeURIComponent(raw)];
  } catch {
    return undefined;
  }
}

/**
 * Parses a `baggage` header into key → decoded value (properties dropped; on duplicate keys the
 * last wins, as in OpenTelemetry). Malformed members are skipped; a header longer than
 * {@link MAX_BAGGAGE_LENGTH} gives an empty map. Never throws.
 */
export function parseBaggageHeader(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof header !== 'string' || header.length > MAX_BAGGAGE_LENGTH) return out;
  const members = header.split(',');
  for (let i = 0; i < members.length && i < MAX_BAGGAGE_MEMBERS; i++) {
    const kv = splitMember(members[i]!);
    if (kv !== undefined) out.set(kv[0], kv[1]);
  }
  return out;
}

/** Reads one key from a `baggage` header without building the whole map. Never throws. */
export function readBaggageEntry(header: string | undefined, key: string): string | undefined {
  if (typeof header !== 'string' || header.length > MAX_BAGGAGE_LENGTH || !header.includes(key)) return undefined;
  return parseBaggageHeader(header).get(key);
}

/**
 * Returns `header` (default: none) with the member `key=value` (value percent-encoded). A member
 * with the same key is kept unless `overwrite`, in which case it is replaced. When the result would
 * exceed {@link MAX_BAGGAGE_LENGTH}, `header` is returned unchanged.
 */
export function addBaggageMember(header: string | undefined, key: string, value: string, overwrite = false): string {
  const member = `${key}=${encodeURIComponent(value)}`;
  if (header === undefined || header.trim() === '') return member;
  const kept: string[] = [];
  for (const part of header.split(',')) {
    const kv = splitMember(part);
    if (kv !== undefined && kv[0] === key) {
      if (!overwrite) return header;
      continue;
    }
    if (part.trim() !== '') kept.push(part.trim());
  }
  kept.push(member);
  const out = kept.join(',');
  return out.length > MAX_BAGGAGE_LENGTH ? header : out;
}
