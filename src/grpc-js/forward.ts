/**
 * `forwardGrayMetadata` for hand-written grpc-js call sites, and the metadata merge shared with the
 * client interceptor.
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { Metadata } from '@grpc/grpc-js';
import { extractGrayContext } from '../core/carrier.js';
import { getGrayContext, type GrayContext } from '../core/context.js';
import { resolvePolicy, type GrayPolicy, type GrayPolicyOptions } from '../core/policy.js';
import { grpcMetadataCarrier, isGrpcMetadata } from './carrier.js';

/** What {@link forwardGrayMetadata} forwards from: a context, a server call, incoming metadata, or nothing. */
export type GrayForwardSource = GrayContext | { readonly metadata: Metadata } | Metadata | undefined;

/** Options of {@link forwardGrayMetadata}: the policy used when reading a call or `Metadata`. */
export interface ForwardGrayMetadataOptions extends GrayPolicyOptions {
  /** Policy used to read a server call or incoming `Metadata`. Default: built from the options (all defaults). */
  readonly policy?: GrayPolicy;
  /** Replace keys `into` already holds. Default `false`. */
  readonly overwrite?: boolean;
}

function isContext(value: object): value is GrayContext {
  return typeof (value as GrayContext).stage === 'string' && typeof (value as GrayContext).entries === 'object';
}

/**
 * Adds `ctx`'s entries to `md`, copying `md` first when anything is added, so the caller's object
 * is never modified. Returns `md` itself when nothing needs adding.
 */
export function mergeIntoMetadata(ctx: GrayContext, md: Metadata, overwrite: boolean): Metadata {
  let out: Metadata | undefined;
  const entries = ctx.entries;
  for (const key in entries) {
    if (!overwrite && md.get(key).length > 0) continue;
    out ??= md.clone();
    grpcMetadataCarrier.set(out, key, entries[key]!);
  }
  return out ?? md;
}

/**
 * Builds the grpc-js `Metadata` to pass on to a downstream call.
 *
 * @param source - a `GrayContext`; a grpc-js server call (anything with `.metadata`); incoming
 *   `Metadata`; or nothing, for the current context.
 * @param into - metadata to add to (modified in place; its own keys are kept). Default: a new `Metadata`.
 * @example
 * client.getPrice(req, forwardGrayMetadata(call), (err, res) => { ... });
 */
export function forwardGrayMetadata(source?: GrayForwardSource, into?: Metadata, options?: ForwardGrayMetadataOptions): Metadata {
  const md = into ?? new grpc.Metadata();
  let ctx: GrayContext | undefined;
  if (source === undefined) {
    ctx = getGrayContext();
  } else if (isGrpcMetadata(source)) {
    ctx = extractGrayContext(source, grpcMetadataCarrier, resolvePolicy(options));
  } else if (isContext(source)) {
    ctx = source;
  } else if (isGrpcMetadata((source as { metadata?: unknown }).metadata)) {
    ctx = extractGrayContext((source as { metadata: Metadata }).metadata, grpcMetadataCarrier, resolvePolicy(options));
  }
  if (ctx === undefined) return md;
  const overwrite = options?.overwrite === true;
  const entries = ctx.entries;
  for (const key in entries) {
    if (overwrite || md.get(key).length === 0) grpcMetadataCarrier.set(md, key, entries[key]!);
  }
  return md;
}
