/**
 * What a server adapter decided for each call, kept where the adapter's per-call accessor
 * (`getCallGrayContext`, `context.gray`) and `forwardGrayMetadata` find it: a `WeakMap` keyed by an
 * object the framework creates per call and hands to the handler (grpc-js and nice-grpc incoming
 * metadata, Connect request headers), in a `Symbol.for` slot so the ESM and CommonJS copies of
 * graylane share it (the interceptor may come from one, the accessor from the other).
 * @packageDocumentation
 */
import type { GrayContext } from './context.js';
import type { GrayPolicy } from './policy.js';
import { isPolicyKey } from './policy-keys.js';

/** What a server adapter decided for one call, and the policy it decided with. Internal. */
export interface DecidedCall {
  /** The call's context. */
  readonly ctx: GrayContext;
  /** The policy of the interceptor / middleware that decided it. */
  readonly policy: GrayPolicy;
}

/** The decisions of one adapter, keyed by its per-call object. Internal. */
export interface CallRecords<K extends object> {
  /** Records what was decided for the call whose per-call object is `key`. */
  record(key: K, ctx: GrayContext, policy: GrayPolicy): void;
  /** What was decided for the call whose per-call object is `key`, if any. */
  get(key: K): DecidedCall | undefined;
}

/** The decision table of adapter `name` (e.g. `'grpc-js'`), shared by every copy of graylane in the process. Internal. */
export function callRecords<K extends object>(name: string): CallRecords<K> {
  const slot = Symbol.for(`graylane.${name}.call-contexts.v1`);
  const global = globalThis as { [key: symbol]: WeakMap<K, DecidedCall> | undefined };
  let table: WeakMap<K, DecidedCall> | undefined;
  return {
    record(key, ctx, policy) {
      (table ??= global[slot] ??= new WeakMap()).set(key, { ctx, policy });
    },
    get(key) {
      table ??= global[slot];
      return table?.get(key);
    },
  };
}

/**
 * The keys among `keys` that `policy` governs (stage, aliases, extra and prefixed keys): what a
 * handler passing its incoming metadata on must not pass on — only the decided context is added
 * back. Collected first, so the caller can delete them from the carrier it iterates. Internal.
 */
export function governedKeys(keys: Iterable<string>, policy: GrayPolicy): string[] {
  const out: string[] = [];
  for (const key of keys) if (isPolicyKey(policy, key)) out.push(key);
  return out;
}
