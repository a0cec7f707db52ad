/**
 * graylane's own control keys: metadata / header names that steer graylane itself (the hop trace)
 * rather than carry a request's values. They are never taken from an untrusted caller.
 * @packageDocumentation
 */

/** Request key that asks every graylane hop to report itself: send `x-gray-trace: 1`. */
export const HOP_TRACE_KEY = 'x-gray-trace';
/** Response trailer carrying the hops: `x-gray-hops`. */
export const HOPS_TRAILER_KEY = 'x-gray-hops';

/** Every control key. A policy that does not trust its callers never carries these from a request. */
export const CONTROL_KEYS: ReadonlySet<string> = new Set([HOP_TRACE_KEY, HOPS_TRAILER_KEY]);
