/**
 * One policy, two trust levels: edges that trust some requests (a valid token) and not others.
 * @packageDocumentation
 */
import type { GrayPolicy } from './policy.js';

/**
 * The same policy with `trustIncoming` set to `trust`. Counters, the `onInvalid` hook and caches
 * are shared with `policy` (the returned object is a frozen shallow copy). Used by edges that
 * trust some requests (a valid token) and not others.
 */
export function policyWithTrust(policy: GrayPolicy, trust: boolean): GrayPolicy {
  return policy.trustIncoming === trust ? policy : Object.freeze({ ...policy, trustIncoming: trust });
}
