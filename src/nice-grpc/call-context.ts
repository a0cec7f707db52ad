/**
 * What `grayServerMiddleware` decided for each nice-grpc server call, keyed by the call's incoming
 * `Metadata`, so `forwardGrayMetadata(context.metadata)` forwards that decision too, and metadata
 * passed on as-is does not carry the remote caller's own gray keys.
 * @packageDocumentation
 */
import type { Metadata } from 'nice-grpc-common';
import type { GrayContext } from '../core/context.js';
import type { GrayPolicy } from '../core/policy.js';
import { callRecords, governedKeys, type DecidedCall } from '../core/call-records.js';

/** What the middleware decided for one call, and the policy it decided with. Internal. */
export type NiceDecidedCall = DecidedCall;

// Keyed by the incoming Metadata object nice-grpc hands the middleware as `context.metadata`.
const calls = callRecords<Metadata>('nice-grpc');

/** Records what the middleware decided for the call whose incoming metadata is `md`. Internal. */
export const recordNiceCallContext = (md: Metadata, ctx: GrayContext, policy: GrayPolicy): void => calls.record(md, ctx, policy);

/** What the middleware decided for the call whose incoming metadata is `md`, if `md` is one. Internal. */
export const decidedNiceCall = (md: Metadata): NiceDecidedCall | undefined => calls.get(md);

/** Removes from `md` (in place) every key the deciding policy governs (the remote caller's gray keys). Internal. */
export function stripNicePolicyKeys(md: Metadata, policy: GrayPolicy): void {
  for (const key of governedKeys([...md].map(([k]) => k), policy)) md.delete(key);
}
