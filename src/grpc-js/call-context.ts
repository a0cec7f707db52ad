/**
 * The gray context `grayServerInterceptor` decided for each grpc-js server call, looked up from the
 * call (or its incoming `Metadata`) by `getCallGrayContext` and `forwardGrayMetadata`.
 * @packageDocumentation
 */
import type { Metadata } from '@grpc/grpc-js';
import type { GrayContext } from '../core/context.js';
import { isGrpcMetadata } from './carrier.js';

// Keyed by the incoming Metadata object grpc-js creates per call and hands, unchanged, to the handler
// as `call.metadata`. A Symbol.for slot, so the ESM and CommonJS copies of graylane share it (the
// interceptor may come from one, forwardGrayMetadata from the other).
const SLOT = Symbol.for('graylane.grpc-js.call-contexts.v1');
type Slot = { [SLOT]?: WeakMap<Metadata, GrayContext> };
let decided: WeakMap<Metadata, GrayContext> | undefined;

function table(): WeakMap<Metadata, GrayContext> {
  return (decided ??= (globalThis as Slot)[SLOT] ??= new WeakMap());
}

/** Records the context the interceptor decided for the call whose incoming metadata is `md`. Internal. */
export function recordCallContext(md: Metadata, ctx: GrayContext): void {
  table().set(md, ctx);
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
  if (isGrpcMetadata(call)) return table().get(call);
  const md = (call as { metadata?: unknown }).metadata;
  return isGrpcMetadata(md) ? table().get(md) : undefined;
}
