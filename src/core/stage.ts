/**
 * Stage and key vocabulary: the well-known names and the pure validators behind every policy.
 * @packageDocumentation
 */

/** Metadata / header key that carries the release stage: `'x-release-stage'`. */
export const RELEASE_STAGE_KEY = 'x-release-stage';

/** The stage of a request that carries no (valid) stage: `'stable'`. */
export const DEFAULT_STAGE = 'stable';

/** Longest accepted stage value, in characters (after trimming). */
export const MAX_STAGE_LENGTH = 64;

/** Why an incoming value was not accepted. Passed to {@link GrayInvalidEvent}. */
export type GrayInvalidReason =
  | 'empty'
  | 'too-long'
  | 'bad-characters'
  | 'not-allowed'
  | 'untrusted'
  | 'too-many-keys';

const STAGE_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
/** gRPC metadata key grammar (lower-case), also a valid HTTP header name. */
const KEY_PATTERN = /^[a-z0-9][a-z0-9_.-]*$/;
/** Printable ASCII, space included: what HTTP/2 allows in a non-binary metadata value. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Standard or URL-safe base64, as grpc-js and nice-grpc use for `-bin` values. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Lower-cases ASCII letters only (`A`–`Z`). Unlike `String#toLowerCase`, it never maps a non-ASCII
 * look-alike onto ASCII (the Kelvin sign `\u212A` stays as it is, so it cannot become `k`).
 */
export function asciiLower(value: string): string {
  return ASCII_UPPER.test(value) ? value.replace(ASCII_UPPER_ALL, lowerChar) : value;
}
const ASCII_UPPER = /[A-Z]/;
const ASCII_UPPER_ALL = /[A-Z]/g;
const lowerChar = (c: string): string => String.fromCharCode(c.charCodeAt(0) + 32);

const isBlank = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** `value[start, end)` without ASCII whitespace (space, tab, CR, LF, VT, FF) at either end; Unicode spaces stay. */
function trimBlanks(value: string, start: number, end: number): string {
  while (start < end && isBlank(value.charCodeAt(start))) start++;
  while (end > start && isBlank(value.charCodeAt(end - 1))) end--;
  return value.slice(start, end);
}

/**
 * Normalises a raw stage value: keeps the first of comma-joined values (HTTP/2 and node:http join a
 * key sent twice into `'canary, beta'`; the first one counts), trims ASCII whitespace, lower-cases
 * ASCII letters and checks it against `^[a-z0-9][a-z0-9._-]{0,63}$`. Non-ASCII characters are
 * never folded or trimmed, so they are rejected as `'bad-characters'`.
 *
 * @returns the normalised stage, or the reason it was rejected. Never throws.
 */
export function parseStage(raw: string): { ok: true; stage: string } | { ok: false; reason: GrayInvalidReason } {
  const comma = raw.indexOf(',');
  const value = asciiLower(trimBlanks(raw, 0, comma < 0 ? raw.length : comma));
  if (value.length === 0) return { ok: false, reason: 'empty' };
  if (value.length > MAX_STAGE_LENGTH) return { ok: false, reason: 'too-long' };
  if (!STAGE_PATTERN.test(value)) return { ok: false, reason: 'bad-characters' };
  return { ok: true, stage: value };
}

/** `true` when `key` is a valid lower-case gRPC metadata key (and therefore HTTP header name). */
export function isValidKey(key: string): boolean {
  return key.length > 0 && key.length <= 128 && KEY_PATTERN.test(key);
}

/**
 * Checks a propagated (non-stage) value. Text values must be printable ASCII; `-bin` values are
 * carried as base64 text. Both are capped at `maxLength` characters.
 *
 * @returns `undefined` when the value is acceptable, otherwise the reason.
 */
export function checkValue(key: string, value: string, maxLength: number): GrayInvalidReason | undefined {
  if (value.length === 0) return 'empty';
  if (value.length > maxLength) return 'too-long';
  const pattern = key.endsWith('-bin') ? BASE64 : PRINTABLE_ASCII;
  return pattern.test(value) ? undefined : 'bad-characters';
}
