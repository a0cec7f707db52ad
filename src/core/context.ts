/**
 * The one gray-context store: an `AsyncLocalStorage` behind run / get verbs, shared by every copy
 * of graylane in the process (ESM and CommonJS) through a `Symbol.for` slot.
 * @packageDocumentation
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { defaultGrayPolicy, type GrayPolicy } from './policy.js';

/**
 * The immutable per-request value. Deriving a new context (e.g. {@link runWithStage}) returns a new
 * object; a context is never modified.
 */
export interface GrayContext {
  /** The release stage of the request, e.g. `'stable'` or `'canary'`. */
  readonly stage: string;
  /** `true` when the stage came from the request (or was set explicitly), `false` when it is the default. */
  readonly explicit: boolean;
  /** Every key/value propagated to downstream calls (the stage key included when `explicit`). */
  readonly entries: Readonly<Record<string, string>>;
}

const SLOT = Symbol.for('graylane.context-storage.v1');
type Slot = { [SLOT]?: AsyncLocalStorage<GrayContext> };
let local: AsyncLocalStorage<GrayContext> | undefined;

/** The process-wide store, created on first use (creating it is what switches on async tracking). */
export function grayStorage(): AsyncLocalStorage<GrayContext> {
  if (local !== undefined) return local;
  const slot = globalThis as Slot;
  return (local = slot[SLOT] ??= new AsyncLocalStorage<GrayContext>());
}

/** The gray context of the current request, or `undefined` outside any request. */
export function getGrayContext(): GrayContext | undefined {
  if (local === undefined) {
    const existing = (globalThis as Slot)[SLOT];
    if (existing === undefined) return undefined;
    local = existing;
  }
  return local.getStore();
}

/**
 * The current request's stage, or the default stage (`'stable'` unless `policy` says otherwise)
 * outside a request or when the request carried none.
 */
export function getReleaseStage(policy?: GrayPolicy): string {
  return getGrayContext()?.stage ?? (policy ?? defaultGrayPolicy()).defaultStage;
}

/** Runs `fn` (with `args`) inside `ctx`: every call, `await` and callback it starts sees `ctx`. */
export function runWithGrayContext<R, A extends unknown[]>(ctx: GrayContext, fn: (...args: A) => R, ...args: A): R {
  return grayStorage().run(ctx, fn, ...args);
}

/**
 * Runs `fn` with the given stage, keeping the extra keys of the current context. An invalid or
 * non-allow-listed stage gives the policy's default stage (reported through `onInvalid`, never thrown).
 *
 * @param policy - validates `stage` and names the stage key; default: the default policy.
 */
export function runWithStage<R>(stage: string, fn: () => R, policy: GrayPolicy = defaultGrayPolicy()): R {
  const accepted = policy.acceptStage(stage);
  const current = getGrayContext();
  let ctx: GrayContext;
  if (accepted === undefined) {
    ctx = policy.defaultContext;
  } else {
    let extra = current?.entries;
    if (extra !== undefined && current?.explicit) {
      // Drop the previous stage's keys; contextFor writes the new ones.
      const rest: Record<string, string> = { ...extra };
      delete rest[policy.stageKey];
      for (const alias of policy.aliases) delete rest[alias];
      extra = rest;
    }
    ctx = policy.contextFor(accepted, extra);
  }
  return grayStorage().run(ctx, fn);
}

/**
 * Runs `fn` (with `args`) with NO gray context: `getGrayContext()` is `undefined` inside it and in
 * everything it starts. Internal: for callbacks a library would otherwise run in a stranger's context.
 * Creates no store when none exists yet (then no context can be current).
 */
export function runOutsideGrayContext<R, A extends unknown[]>(fn: (...args: A) => R, ...args: A): R {
  const storage = local ?? (globalThis as Slot)[SLOT];
  if (storage === undefined) return fn(...args);
  return storage.run(undefined as unknown as GrayContext, fn, ...args);
}

/**
 * Returns a function that always runs `fn` inside `ctx` (default: the context current at bind time),
 * for callbacks that a library calls later from an unrelated context (event emitters, pools, timers).
 * Bound outside any context (and with no `ctx`), it runs `fn` with NO context, whatever context the
 * caller of the bound function is in: a callback never inherits a stranger's request.
 */
export function bindGrayContext<A extends unknown[], R>(fn: (...args: A) => R, ctx: GrayContext | undefined = getGrayContext()): (...args: A) => R {
  if (ctx === undefined) {
    return function unbound(this: unknown, ...args: A): R {
      return runOutsideGrayContext(() => fn.apply(this, args));
    };
  }
  const storage = grayStorage();
  return function bound(this: unknown, ...args: A): R {
    return storage.run(ctx, () => fn.apply(this, args));
  };
}
