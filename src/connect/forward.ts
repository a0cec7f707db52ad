/**
 * `forwardGrayMetadata` for hand-written Connect call sites: the gray context as Connect `Headers`
 * (the `headers` call option).
 * @packageDocumentation
 */
import { extractGrayContext, injectGrayContext } from '../core/carrier.js';
import { getGrayContext, type GrayContext } from '../core/context.js';
import { headersCarrier, isHeaders } from '../core/headers-carrier.js';
import type { GrayPolicy, GrayPolicyOptions } from '../core/policy.js';
import { policyForCallOptions } from '../core/policy-cache.js';
import { decidedConnectCall, getCallGrayContext, stripConnectPolicyKeys } from './call-context.js';

/**
 * What {@link forwardGrayMetadata} forwards from: a context, a Connect `HandlerContext` (anything
 * with `values` and `requestHeader`), a call's request `Headers`, or nothing (the current context).
 */
export type ConnectGrayForwardSource =
  | GrayContext
  | { readonly values?: unknown; readonly requestHeader?: Headers }
  | Headers
  | undefined;

/** Options of {@link forwardGrayMetadata}: the policy used for headers no `grayServerInterceptor` saw, and `overwrite`. */
export interface ConnectForwardGrayMetadataOptions extends GrayPolicyOptions {
  /**
   * Policy used to read request headers that no `grayServerInterceptor` saw (for a call it saw, its
   * decision is forwarded). Default: built from the options beside it — once per options object —
   * or all defaults (which trust the headers).
   */
  readonly policy?: GrayPolicy;
  /** Replace keys `into` already holds. Default `false`. */
  readonly overwrite?: boolean;
}

const NOT_POLICY = ['overwrite'];

function isContext(value: unknown): value is GrayContext {
  return (
    typeof value === 'object' && value !== null &&
    typeof (value as GrayContext).stage === 'string' &&
    typeof (value as GrayContext).entries === 'object' && (value as GrayContext).entries !== null
  );
}

function headerContext(header: Headers, options: ConnectForwardGrayMetadataOptions | undefined): GrayContext {
  return decidedConnectCall(header)?.ctx ?? extractGrayContext(header, headersCarrier, policyForCallOptions(options, NOT_POLICY));
}

function sourceContext(source: ConnectGrayForwardSource, options: ConnectForwardGrayMetadataOptions | undefined): GrayContext | undefined {
  if (source === undefined) return getGrayContext();
  if (isHeaders(source)) return headerContext(source, options);
  if (isContext(source)) return source;
  if (typeof source !== 'object' || source === null) return undefined;
  const decided = getCallGrayContext(source as { values: never });
  if (decided !== undefined) return decided;
  const header = (source as { requestHeader?: unknown }).requestHeader;
  return isHeaders(header) ? headerContext(header, options) : undefined;
}

/**
 * Builds the Connect `Headers` to pass on to a downstream call (`{ headers }` call option).
 *
 * For a call `grayServerInterceptor` decided — its `HandlerContext` or `context.requestHeader` —
 * this forwards exactly that decision (after trust, the allowlist and coloring rules). Headers no
 * interceptor saw are read with the policy of `options` (default: all defaults, which trust them).
 *
 * @param source - a `GrayContext`; a Connect `HandlerContext`; a call's request `Headers`; or
 *   nothing, for the current context. Anything else forwards nothing. Never throws on bad input.
 * @param into - headers to add to (modified in place; its own keys are kept unless
 *   `options.overwrite` — except in a call's own request `Headers`, whose keys governed by the
 *   interceptor's policy are the remote caller's and are replaced). Default: a new `Headers`.
 * @param options - policy for headers no interceptor saw (default: all defaults), `overwrite` (default `false`).
 * @example
 * const reply = await pricing.quote(req, { headers: forwardGrayMetadata(context) });
 */
export function forwardGrayMetadata(source?: ConnectGrayForwardSource, into?: Headers, options?: ConnectForwardGrayMetadataOptions): Headers {
  const out = into ?? new Headers();
  const ctx = sourceContext(source, options);
  const incoming = into === undefined ? undefined : decidedConnectCall(into);
  if (incoming !== undefined) stripConnectPolicyKeys(out, incoming.policy);
  if (ctx === undefined) return out;
  return injectGrayContext(ctx, out, headersCarrier, { overwrite: options?.overwrite === true });
}
