/**
 * What `grayServerMiddleware` decided for each nice-grpc server call, keyed by the call's incoming
 * `Metadata`, so `forwardGrayMetadata(context.metadata)` forwards that decision too, and metadata
 * passed on as-is does not carry the remote caller's own gray keys.
 * @packageDocumentation
 */
import type { Metadata } from 'nice-grpc-common';
import type { GrayContext } from '../core/context.js';
import type { GrayPolicy } from '../core/policy.js';
import { isPolicyKey } from '../core/policy-keys.js';

/** What the middleware decided for one call, and the policy it decided with. Internal. */
export interface NiceDecidedCall {
  /** The call's context. */
  readonly ctx: GrayContext;
  /** The policy of the middleware that decided it. */
  readonly policy: GrayPolicy;
}

// A Symbol.for slot, so the ESM and CommonJS copies of graylane share it.
const SLOT = Symbol.for('graylane.nice-grpc.call-contexts.v1');
type Slot = { [SLOT]?: WeakMap<Metadata, NiceDecidedCall> };
let decided: WeakMap<Metadata, NiceDecidedCall> | undefined;

/** Records what the middleware decided for the call whose incoming metadata is `md`. Internal. */
export function recordNiceCallContext(md: Metadata, ctx: GrayContext, policy: GrayPolicy): void {
  (decided ??= (globalThis as Slot)[SLOT] ??= new WeakMap()).set(md, { ctx, policy });
}

/** What the middleware decided for the call whose incoming metadata is `md`, if `md` is one. Internal. */
export function decidedNiceCall(md: Metadata): NiceDecidedCall | undefined {
  decided ??= (globalThis as Slot)[SLOT];
  return decided?.get(md);
}

/** Removes from `md` (in place) every key the deciding policy governs (the remote caller's gray keys). Internal. */
export function stripNicePolicyKeys(md: Metadata, policy: GrayPolicy): void {
  const drop: string[] = [];
  for (const [key] of md) if (isPolicyKey(policy, key)) drop.push(key);
  for (const key of drop) md.delete(key);
}
