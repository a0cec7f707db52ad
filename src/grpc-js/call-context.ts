/**
 * The gray context `grayServerInterceptor` decided for each grpc-js server call, looked up from the
 * call (or its incoming `Metadata`) by `getCallGrayContext` and `forwardGrayMetadata`.
 * @packageDocumentation
 */
import type { Metadata } from '@grpc/grpc-js';
import type { GrayContext } from '../core/context.js';
import type { GrayPolicy } from '../core/policy.js';
import { callRecords, governedKeys, type DecidedCall } from '../core/call-records.js';
import { grpcMetadataCarrier, isGrpcMetadata } from './carrier.js';

export type { DecidedCall } from '../core/call-records.js';

// Keyed by the incoming Metadata object grpc-js creates per call and hands, unchanged, to the handler
// as `call.metadata`.
const calls = callRecords<Metadata>('grpc-js');

/** Records what the interceptor decided for the call whose incoming metadata is `md`. Internal. */
export const recordCallContext = (md: Metadata, ctx: GrayContext, policy: GrayPolicy): void => calls.record(md, ctx, policy);

/** What an interceptor decided for the call whose incoming metadata is `md`, if `md` is one. Internal. */
export const decidedCall = (md: Metadata): DecidedCall | undefined => calls.get(md);

/**
 * Removes from `md` (in place) every key the deciding policy governs: a handler that passes its
 * incoming metadata on must not pass on the caller's own stage, alias or extra keys — only what the
 * interceptor decided is added back. Internal.
 */
export function stripPolicyKeys(md: Metadata, policy: GrayPolicy): void {
  for (const key of governedKeys(grpcMetadataCarrier.keys!(md), policy)) md.remove(key);
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
