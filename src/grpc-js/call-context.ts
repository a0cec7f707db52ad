/**
 * The gray context `grayServerInterceptor` decided for each grpc-js server call, looked up from the
 * call (or its incoming `Metadata`) by `getCallGrayContext` and `forwardGrayMetadata`.
 * @packageDocumentation
 */
import type { Metadata } from '@grpc/grpc-js';
import type { GrayContext } from '../core/context.js';
import type { GrayPolicy } from '../core/policy.js';
import { isPolicyKey } from '../core/policy-keys.js';
import { grpcMetadataCarrier, isGrpcMetadata } from './carrier.js';

/** What the interceptor decided for one call, and the policy it decided with. Internal. */
export interface DecidedCall {
  /** The call's context. */
  readonly ctx: GrayContext;
  /** The policy of the interceptor that decided it. */
  readonly policy: GrayPolicy;
}

// Keyed by the incoming Metadata object grpc-js creates per call and hands, unchanged, to the handler
// as `call.metadata`. A Symbol.for slot, so the ESM and CommonJS copies of graylane share it (the
// interceptor may come from one, forwardGrayMetadata from the other).
const SLOT = Symbol.for('graylane.grpc-js.call-contexts.v1');
type Slot = { [SLOT]?: WeakMap<Metadata, DecidedCall> };
let decided: WeakMap<Metadata, DecidedCall> | undefined;

function table(): WeakMap<Metadata, DecidedCall> {
  return (decided ??= (globalThis as Slot)[SLOT] ??= new WeakMap());
}

/** Records what the interceptor decided for the call whose incoming metadata is `md`. Internal. */
export function recordCallContext(md: Metadata, ctx: GrayContext, policy: GrayPolicy): void {
  table().set(md, { ctx, policy });
}

/** What an interceptor decided for the call whose incoming metadata is `md`, if `md` is one. Internal. */
export function decidedCall(md: Metadata): DecidedCall | undefined {
  decided ??= (globalThis as Slot)[SLOT];
  return decided?.get(md);
}

/**
 * Removes from `md` (in place) every key the deciding policy governs: a handler that passes its
 * incoming metadata on must not pass on the caller's own stage, alias or extra keys — only what the
 * interceptor decided is added back. Internal.
 */
export function stripPolicyKeys(md: Metadata, policy: GrayPolicy): void {
  for (const key of [...grpcMetadataCarrier.keys!(md)]) if (isPolicyKey(policy, key)) md.remove(key);
}

/**
 * The gray context `grayServerInterceptor` established for a grpc-js server call — after
 * `trustIncoming`, the allowlist and any `resolve` / `coloringResolver` — the counterpart of
 * nice-grpc's `context.gray`. Works anywhere, also outside the handler's async context (a timer, a
 * callback of another library).
 *
 * @param call - the handler's call object (anything with `.metadata`), or its incoming `Metadata`.
 * @returns the call's context, or `undefined` when no `grayServerInterceptor` saw the call (none is
 *   installed, or another interceptor replaced the metadata object before the handler).
 * @example
 * const stage = getCallGrayContext(call)?.stage ?? 'stable';
 */
export function getCallGrayContext(call: { readonly metadata: Metadata } | Metadata): GrayContext | undefined {
  if (typeof call !== 'object' || call === null) return undefined;
  const md = isGrpcMetadata(call) ? call : (call as { metadata?: unknown }).metadata;
  return isGrpcMetadata(md) ? decidedCall(md)?.ctx : undefined;
}
