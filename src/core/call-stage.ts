/**
 * "The stage of a call", once: the rule the balancer routes by and every guard, metric and trace
 * feed records by, so a call is never routed as one stage and counted as another.
 * @packageDocumentation
 */
import type { GrayGetter } from './carrier.js';
import { getGrayContext, type GrayContext } from './context.js';
import type { GrayPolicy } from './policy.js';

/**
 * The stage of an outgoing call as it goes on the wire. For each stage key in order — the policy's
 * `stageKey`, then its `aliases` — the value is the carrier's own (a key the caller set explicitly
 * wins, as with `grayClientInterceptor`), else the value `ctx` forwards under that key. The first
 * key present decides: its value when the policy accepts it, else the default stage. No key present:
 * the default stage. The balancer calls it on the final metadata (no `ctx`); client-side feeds call it
 * on the caller's metadata with the caller's context, before or after `grayClientInterceptor` alike.
 * Never throws. Internal.
 */
export function callStage<C>(carrier: C | undefined, getter: GrayGetter<C>, policy: GrayPolicy, ctx?: GrayContext): string {
  const entries = ctx?.entries;
  let raw = carrier === undefined ? undefined : getter.get(carrier, policy.stageKey);
  let key = policy.stageKey;
  if (raw === undefined && entries !== undefined) raw = entries[key];
  if (raw === undefined) {
    const aliases = policy.aliases;
    for (let i = 0; i < aliases.length && raw === undefined; i++) {
      key = aliases[i]!;
      raw = carrier === undefined ? undefined : getter.get(carrier, key);
      if (raw === undefined && entries !== undefined) raw = entries[key];
    }
    if (raw === undefined) return policy.defaultStage;
  }
  return policy.acceptStage(raw, key) ?? policy.defaultStage;
}

/**
 * The stage of an outgoing call made now: {@link callStage} with the current gray context. One rule
 * for every adapter's client-side observers (metrics, rollback guard). Internal.
 */
export function outgoingStage<C>(carrier: C | undefined, getter: GrayGetter<C>, policy: GrayPolicy): string {
  return callStage(carrier, getter, policy, getGrayContext());
}

/**
 * The context a server-side feed (metrics, rollback guard, hop trace) records for the current
 * request: the one graylane's server interceptor / middleware / HTTP edge decided — the current gray
 * context — else the policy's default context. Never the caller's raw headers: a feed that runs
 * before the edge has no decision to see, and a claim the edge may reject must not be counted.
 * Internal.
 */
export function decidedContext(policy: GrayPolicy): GrayContext {
  return getGrayContext() ?? policy.defaultContext;
}
