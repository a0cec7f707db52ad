/**
 * A carrier getter that falls back to the W3C `baggage` header for the stage key, for use with the
 * core's `extractGrayContext` on any carrier (HTTP headers, message headers, gRPC metadata).
 * @packageDocumentation
 */
import type { GrayGetter } from '../core/carrier.js';
import { RELEASE_STAGE_KEY } from '../core/stage.js';
import { BAGGAGE_HEADER, readBaggageEntry } from './baggage-header.js';
import { baggageKeyOf } from './baggage-key.js';

/** Options of {@link grayBaggageGetter}. */
export interface GrayBaggageGetterOptions {
  /** Carrier key the policy reads the stage from. Default `'x-release-stage'`. */
  readonly stageKey?: string;
  /** Baggage key holding the stage. Default `'x-release-stage'`. */
  readonly baggageKey?: string;
}

/**
 * Wraps `inner` so that reading the stage key, when the carrier lacks it, returns the stage member
 * of the carrier's `baggage` header instead. The value is still validated by the policy that
 * `extractGrayContext` is given. Other keys read through unchanged.
 *
 * @example
 * const ctx = extractGrayContext(req.headers, grayBaggageGetter(recordCarrier), policy);
 * @throws GrayConfigError for an invalid `baggageKey`.
 */
export function grayBaggageGetter<C>(inner: GrayGetter<C>, options?: GrayBaggageGetterOptions): GrayGetter<C> {
  const key = baggageKeyOf(options);
  const stageKey = options?.stageKey ?? RELEASE_STAGE_KEY;
  const getter: GrayGetter<C> = {
    get(carrier, name) {
      const value = inner.get(carrier, name);
      if (value !== undefined || name !== stageKey) return value;
      return readBaggageEntry(inner.get(carrier, BAGGAGE_HEADER), key);
    },
  };
  if (inner.keys !== undefined) {
    const keys = inner.keys.bind(inner);
    return { get: getter.get, keys };
  }
  return getter;
}
