/**
 * `forwardGrayMetadata` for hand-written grpc-js call sites, and the metadata merge shared with the
 * client interceptor.
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { Metadata } from '@grpc/grpc-js';
import { extractGrayContext } from '../core/carrier.js';
import { getGrayContext, type GrayContext } from '../core/context.js';
import { isSharedContext, type GrayPolicy, type GrayPolicyOptions } from '../core/policy.js';
import { policyForCallOptions } from '../core/policy-cache.js';
import { decidedCall, getCallGrayContext, stripPolicyKeys } from './call-context.js';
import { grpcMetadataCarrier, isGrpcMetadata } from './carrier.js';

/** What {@link forwardGrayMetadata} forwards from: a context, a server call, incoming metadata, or nothing. */
export type GrayForwardSource = GrayContext | { readonly metadata: Metadata } | Metadata | undefined;

/**
 * Options of {@link forwardGrayMetadata}: the policy used when reading a call or `Metadata` that no
 * `grayServerInterceptor` saw, and `overwrite`.
 */
export interface ForwardGrayMetadataOptions extends GrayPolicyOptions {
  /**
   * Policy used to read a server call or incoming `Metadata` that no `grayServerInterceptor` saw (for
   * an intercepted call the interceptor's decision is forwarded and the policy is not used). Default:
   * built from the options beside it — once per options object — or all defaults.
   */
  readonly policy?: GrayPolicy;
  /** Replace keys `into` already holds. Default `false`. */
  readonly overwrite?: boolean;
}

function isContext(value: object): value is GrayContext {
  return typeof (value as GrayContext).stage === 'string' && typeof (value as GrayContext).entries === 'object';
}

// Shared context -> Metadata holding exactly its entries, built once. `Metadata.set` validates key and
// value with regexes on every call (~150 ns); `clone()` / `merge()` of a prebuilt one skip that. Only
// contexts the policy shares between requests (per-stage, no extra keys) get one: a per-request
// context would pay for building it and never reuse it.
const templates = new WeakMap<GrayContext, Metadata>();

function templateOf(ctx: GrayContext): Metadata {
  let md = templates.get(ctx);
  if (md === undefined) {
    md = new grpc.Metadata();
    for (const key in ctx.entries) grpcMetadataCarrier.set(md, key, ctx.entries[key]!);
    templates.set(ctx, md);
  }
  return md;
}

/** `true` when `md` holds none of the context's keys (the common case: the caller set none). */
function holdsNone(ctx: GrayContext, md: Metadata): boolean {
  for (const key in ctx.entries) if (md.get(key).length > 0) return false;
  return true;
}

/**
 * Adds `ctx`'s entries to `md`, copying `md` first when anything is added, so the caller's object
 * is never modified. Returns `md` itself when nothing needs adding.
 */
export function mergeIntoMetadata(ctx: GrayContext, md: Metadata, overwrite: boolean): Metadata {
  if (isSharedContext(ctx) && (overwrite || holdsNone(ctx, md))) {
    const out = md.clone();
    if (overwrite) for (const key in ctx.entries) out.remove(key);
    out.merge(templateOf(ctx));
    return out;
  }
  let out: Metadata | undefined;
  const entries = ctx.entries;
  for (const key in entries) {
    if (!overwrite && md.get(key).length > 0) continue;
    out ??= md.clone();
    grpcMetadataCarrier.set(out, key, entries[key]!);
  }
  return out ?? md;
}

const NOT_POLICY = ['overwrite'];

/** The context of a call's incoming metadata: the interceptor's decision, else read with the options' policy. */
function incomingContext(md: Metadata, options: ForwardGrayMetadataOptions | undefined): GrayContext {
  return getCallGrayContext(md) ?? extractGrayContext(md, grpcMetadataCarrier, policyForCallOptions(options, NOT_POLICY));
}

/**
 * Builds the grpc-js `Metadata` to pass on to a downstream call.
 *
 * For a server call (or its incoming `Metadata`) that `grayServerInterceptor` saw, this forwards
 * exactly the context the interceptor decided — after `trustIncoming`, the allowlist and any
 * `resolve` — whatever policy options are passed. A call no interceptor saw is read from its raw
 * metadata with the policy of `options` (default: all defaults, which trust the caller).
 *
 * @param source - a `GrayContext`; a grpc-js server call (anything with `.metadata`); incoming
 *   `Metadata`; or nothing, for the current context.
 * @param into - metadata to add to (modified in place; its own keys are kept — except in a server
 *   call's incoming `Metadata`, whose keys governed by the server's policy are the remote caller's and
 *   are replaced). Default: a new `Metadata`.
 * @param options - `overwrite` (default `false`) and the policy for calls no interceptor saw.
 * @example
 * client.getPrice(req, forwardGrayMetadata(call), (err, res) => { ... });
 */
export function forwardGrayMetadata(source?: GrayForwardSource, into?: Metadata, options?: ForwardGrayMetadataOptions): Metadata {
  let ctx: GrayContext | undefined;
  if (source === undefined) {
    ctx = getGrayContext();
  } else if (isGrpcMetadata(source)) {
    ctx = incomingContext(source, options);
  } else if (isContext(source)) {
    ctx = source;
  } else if (isGrpcMetadata((source as { metadata?: unknown }).metadata)) {
    ctx = incomingContext((source as { metadata: Metadata }).metadata, options);
  }
  if (into !== undefined) {
    // Adding to a server call's own incoming metadata: the remote caller's gray keys are not "keys
    // into already holds" to keep; only the decided context goes out.
    const incoming = decidedCall(into);
    if (incoming !== undefined) stripPolicyKeys(into, incoming.policy);
  }
  if (ctx === undefined) return into ?? new grpc.Metadata();
  // A fresh Metadata: copy the context's prebuilt one (no per-key checks, no re-validation).
  if (into === undefined && isSharedContext(ctx)) return templateOf(ctx).clone();
  const md = into ?? new grpc.Metadata();
  const overwrite = options?.overwrite === true;
  const entries = ctx.entries;
  for (const key in entries) {
    if (overwrite || md.get(key).length === 0) grpcMetadataCarrier.set(md, key, entries[key]!);
  }
  return md;
}
