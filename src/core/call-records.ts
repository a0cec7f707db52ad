/**
 * What a server adapter decided for each call, kept where the adapter's per-call accessor
 * (`getCallGrayContext`, `context.gray`) and `forwardGrayMetadata` find it: on the object the
 * framework creates per call and hands to the handler (grpc-js and nice-grpc incoming metadata,
 * Connect request headers), in a private field stamped onto it. A private field is invisible to
 * `Object.keys`, spread, `JSON.stringify`, `util.inspect` and `new Headers(init)`, and costs a few
 * ns — where a `WeakMap.set` per call cost more than the rest of the server interceptor (and its
 * ephemerons weigh on every GC) and `Object.defineProperty` about as much. The stamping class is
 * made once per process and kept in a `Symbol.for` slot, so the ESM and CommonJS copies of graylane
 * share it (the interceptor may come from one, the accessor from the other). A key that cannot take
 * a field (not extensible) goes to the shared `WeakMap` graylane 0.1 kept every decision in, where a
 * 0.1 copy's decisions are found too.
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
  /** Records what was decided for the call whose per-call object is `key` (a later record replaces it). */
  record(key: K, ctx: GrayContext, policy: GrayPolicy): void;
  /** What was decided for the call whose per-call object is `key`, if any. */
  get(key: K): DecidedCall | undefined;
}

interface Stamps {
  readonly record: (key: object, decided: DecidedCall) => void;
  readonly get: (key: object) => DecidedCall | undefined;
}

/**
 * A private field any object can be given: a base constructor that returns its argument makes the
 * subclass install its fields on that object (the class is never used as a class otherwise).
 */
function makeStamps(): Stamps {
  class Base {
    constructor(key: object) {
      return key as Base;
    }
  }
  class Stamp extends Base {
    #decided: DecidedCall;
    private constructor(key: object, decided: DecidedCall) {
      super(key);
      this.#decided = decided;
    }
    static record(key: object, decided: DecidedCall): void {
      if (#decided in key) (key as Stamp).#decided = decided;
      else new Stamp(key, decided);
    }
    static get(key: object): DecidedCall | undefined {
      return #decided in key ? (key as Stamp).#decided : undefined;
    }
  }
  return { record: Stamp.record, get: Stamp.get };
}

/** The decisions of adapter `name` (e.g. `'grpc-js'`), shared by every copy of graylane in the process. Internal. */
export function callRecords<K extends object>(name: string): CallRecords<K> {
  const global = globalThis as { [key: symbol]: unknown };
  const slot = Symbol.for(`graylane.${name}.call-context.v2`);
  const stamps = (global[slot] ??= makeStamps()) as Stamps;
  // Where graylane 0.1 kept every decision: read, so a 0.1 copy's interceptor is still understood.
  const legacy = Symbol.for(`graylane.${name}.call-contexts.v1`);
  return {
    record(key, ctx, policy) {
      // Private fields can still be added to frozen objects today; a TC39 proposal would stop that.
      if (Object.isExtensible(key)) stamps.record(key, { ctx, policy });
      else ((global[legacy] ??= new WeakMap()) as WeakMap<K, DecidedCall>).set(key, { ctx, policy });
    },
    get(key) {
      // `#field in` throws on a primitive; a sloppy caller's non-object is "no decision", as before.
      if ((typeof key !== 'object' && typeof key !== 'function') || key === null) return undefined;
      return stamps.get(key) ?? (global[legacy] as WeakMap<K, DecidedCall> | undefined)?.get(key);
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
