/**
 * The grpc-js `Metadata` carrier: how the core reads and writes grpc-js metadata.
 * @packageDocumentation
 */
import type { Metadata } from '@grpc/grpc-js';
import type { GrayGetter, GraySetter } from '../core/carrier.js';

/**
 * Getter/setter pair for grpc-js `Metadata`. Reads the first value of a key (`-bin` values as
 * base64 text) and writes `-bin` keys back as `Buffer`s.
 */
export const grpcMetadataCarrier: GrayGetter<Metadata> & GraySetter<Metadata> = {
  get(md, key) {
    const value = md.get(key)[0];
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : value.toString('base64');
  },
  keys(md) {
    // grpc-js keeps metadata in a Map; listing its keys avoids building getMap()'s object.
    const repr = (md as unknown as { internalRepr?: unknown }).internalRepr;
    return repr instanceof Map ? (repr.keys() as Iterable<string>) : Object.keys(md.getMap());
  },
  set(md, key, value) {
    try {
      md.set(key, key.endsWith('-bin') ? Buffer.from(value, 'base64') : value);
    } catch {
      // grpc-js rejects keys/values it cannot send. Extraction never yields those; a hand-built
      // context might, and forwarding must not throw on the request path: the entry is skipped.
    }
  },
  has(md, key) {
    return md.get(key).length > 0;
  },
};

/** `true` for a grpc-js `Metadata` (duck-typed, so it works across copies of grpc-js). */
export function isGrpcMetadata(value: unknown): value is Metadata {
  return (
    typeof value === 'object' && value !== null &&
    typeof (value as Metadata).get === 'function' &&
    typeof (value as Metadata).getMap === 'function' &&
    typeof (value as Metadata).clone === 'function'
  );
}
