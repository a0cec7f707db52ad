/**
 * The nice-grpc `Metadata` carrier: how the core reads and writes nice-grpc (nice-grpc-common) metadata.
 * @packageDocumentation
 */
import type { Metadata } from 'nice-grpc-common';
import type { GrayGetter, GraySetter } from '../core/carrier.js';
import { checkValue, isValidKey } from '../core/stage.js';

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Getter/setter pair for nice-grpc `Metadata`. Reads the first value of a key (nice-grpc joins
 * repeated text values with `', '`; `-bin` values are read as base64 text) and writes `-bin` keys
 * back as `Uint8Array`s. Never throws: a key or value that nice-grpc's `Metadata` would reject
 * (bad key characters, non-printable text, non-base64 binary) is skipped on write.
 */
export const niceMetadataCarrier: GrayGetter<Metadata> & GraySetter<Metadata> = {
  get(md, key) {
    const value: string | Uint8Array | undefined = md.get(key);
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : toBase64(value);
  },
  keys(md) {
    const out: string[] = [];
    for (const [key] of md) out.push(key);
    return out;
  },
  set(md, key, value) {
    if (!isValidKey(key) || checkValue(key, value, Number.MAX_SAFE_INTEGER) !== undefined) return;
    if (key.endsWith('-bin')) md.set(key, new Uint8Array(Buffer.from(value, 'base64')));
    else md.set(key, value);
  },
  has(md, key) {
    return md.has(key);
  },
};

/** `true` for a nice-grpc `Metadata` (duck-typed, so it works across copies of nice-grpc-common). */
export function isNiceMetadata(value: unknown): value is Metadata {
  if (typeof value !== 'object' || value === null) return false;
  const md = value as Partial<Metadata>;
  return (
    typeof md.get === 'function' && typeof md.getAll === 'function' && typeof md.has === 'function' &&
    typeof md.set === 'function' && typeof (md as Iterable<unknown>)[Symbol.iterator] === 'function'
  );
}
