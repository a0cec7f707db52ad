/**
 * `forwardGrayMetadata` for hand-written nice-grpc call sites, and the metadata merge shared with
 * the client middleware.
 * @packageDocumentation
 */
import { Metadata } from 'nice-grpc-common';
import { extractGrayContext, injectGrayContext } from '../core/carrier.js';
import { getGrayContext, type GrayContext } from '../core/context.js';
import type { GrayPolicy, GrayPolicyOptions } from '../core/policy.js';
import { policyForCallOptions } from '../core/policy-cache.js';
import { decidedNiceCall, stripNicePolicyKeys } from './call-context.js';
import { isNiceMetadata, niceMetadataCarrier } from './carrier.js';

/**
 * What {@link forwardGrayMetadata} forwards from: a context, a nice-grpc server `CallContext`
 * (anything with `.metadata`, and `.gray` when `grayServerMiddleware` is installed), incoming
 * `Metadata`, or nothing.
 */
export type NiceGrayForwardSource =
  | GrayContext
  | { readonly metadata: Metadata; readonly gray?: GrayContext }
  | Metadata
  | undefined;

/**
 * Options of {@link forwardGrayMetadata}: the policy used when reading a `CallContext` or `Metadata`
 * that no `grayServerMiddleware` saw, and `overwrite`.
 */
export interface NiceForwardGrayMetadataOptions extends GrayPolicyOptions {
  /**
   * Policy used to read a `CallContext` or incoming `Metadata` that no `grayServerMiddleware` saw (for
   * a call it saw, its decision is forwarded and the policy is not used). Default: built from the
   * options beside it — once per options object — or all defaults.
   */
  readonly policy?: GrayPolicy;
  /** Replace keys `into` already holds. Default `false`. */
  readonly overwrite?: boolean;
}

function isContext(value: unknown): value is GrayContext {
  return (
    typeof value === 'object' && value !== null &&
    typeof (value as GrayContext).stage === 'string' &&
    typeof (value as GrayContext).entries === 'object' && (value as GrayContext).entries !== null
  );
}

/**
 * Adds `ctx`'s entries to a COPY of `md` (a new `Metadata` when `md` is undefined), so the
 * caller's object is never modified. Returns `md` itself when nothing needs adding.
 */
export function mergeIntoNiceMetadata(ctx: GrayContext, md: Metadata | undefined, overwrite: boolean): Metadata | undefined {
  let out: Metadata | undefined;
  const entries = ctx.entries;
  for (const key in entries) {
    if (!overwrite && md !== undefined && md.has(key)) continue;
    out ??= md === undefined ? Metadata() : Metadata(md);
    niceMetadataCarrier.set(out, key, entries[key]!);
  }
  return out ?? md;
}

const NOT_POLICY = ['overwrite'];

/** The context of a call's incoming metadata: the middleware's decision, else read with the options' policy. */
function incomingContext(md: Metadata, options: NiceForwardGrayMetadataOptions | undefined): GrayContext {
  return decidedNiceCall(md)?.ctx ?? extractGrayContext(md, niceMetadataCarrier, policyForCallOptions(options, NOT_POLICY));
}

function sourceContext(source: NiceGrayForwardSource, options: NiceForwardGrayMetadataOptions | undefined): GrayContext | undefined {
  if (source === undefined) return getGrayContext();
  if (isNiceMetadata(source)) return incomingContext(source, options);
  if (isContext(source)) return source;
  if (typeof source !== 'object' || source === null) return undefined;
  const call = source as { metadata?: unknown; gray?: unknown };
  if (isContext(call.gray)) return call.gray;
  if (isNiceMetadata(call.metadata)) return incomingContext(call.metadata, options);
  return undefined;
}

/**
 * Builds the nice-grpc `Metadata` to pass on to a downstream call (`{ metadata }` call option).
 *
 * For a call `grayServerMiddleware` saw — its `CallContext` or the `context.metadata` — this forwards
 * exactly the context the middleware decided (after `trustIncoming`, the allowlist and any
 * `resolve`), whatever policy options are passed. Metadata no middleware saw is read with the
 * policy of `options` (default: all defaults, which trust the caller).
 *
 * @param source - a `GrayContext`; a nice-grpc server `CallContext` (its `.gray` when
 *   `grayServerMiddleware` set it, else its `.metadata`); incoming `Metadata`; or nothing,
 *   for the current context. Anything else forwards nothing. Never throws on bad input.
 * @param into - metadata to add to (modified in place; its own keys are kept unless
 *   `options.overwrite` — except in a server call's incoming `Metadata`, whose keys governed by the
 *   middleware's policy are the remote caller's and are replaced). Default: a new `Metadata`.
 * @param options - policy used to read a `CallContext`/`Metadata` no middleware saw (default: all defaults), `overwrite` (default `false`).
 * @example
 * const reply = await pricing.quote(req, { metadata: forwardGrayMetadata(context) });
 */
export function forwardGrayMetadata(source?: NiceGrayForwardSource, into?: Metadata, options?: NiceForwardGrayMetadataOptions): Metadata {
  const md = into ?? Metadata();
  const ctx = sourceContext(source, options);
  // Adding to a server call's own incoming metadata: the remote caller's gray keys are not "keys
  // into already holds" to keep; only the decided context goes out.
  const incoming = into === undefined ? undefined : decidedNiceCall(into);
  if (incoming !== undefined) stripNicePolicyKeys(md, incoming.policy);
  if (ctx === undefined) return md;
  return injectGrayContext(ctx, md, niceMetadataCarrier, { overwrite: options?.overwrite === true });
}
