/**
 * The gray context `grayServerMiddleware` decided for each nice-grpc server call, keyed by the call's
 * incoming `Metadata`, so `forwardGrayMetadata(context.metadata)` forwards that decision too.
 * @packageDocumentation
 */
import type { Metadata } from 'nice-grpc-common';
import type { GrayContext } from '../core/context.js';

// A Symbol.for slot, so the ESM and CommonJS copies of graylane share it.
const SLOT = Symbol.for('graylane.nice-grpc.call-contexts.v1');
type Slot = { [SLOT]?: WeakMap<Metadata, GrayContext> };
let decided: WeakMap<Metadata, GrayContext> | undefined;

function table(): WeakMap<Metadata, GrayContext> {
  return (decided ??= (globalThis as Slot)[SLOT] ??= new WeakMap());
}

/** Records the context the middleware decided for the call whose incoming metadata is `md`. Internal. */
export function recordNiceCallContext(md: Metadata, ctx: GrayContext): void {
  table().set(md, ctx);
}

/** The context the middleware decided for the call whose incoming metadata is `md`, if any. Internal. */
export function decidedNiceCallContext(md: Metadata): GrayContext | undefined {
  return table().get(md);
}
