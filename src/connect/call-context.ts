/**
 * What `grayServerInterceptor` decided for each Connect call: stored in the call's `contextValues`
 * (read back from the handler context) and keyed by the call's request `Headers`, so
 * `forwardGrayMetadata(context.requestHeader)` forwards that decision too.
 * @packageDocumentation
 */
import type { ContextKey, HandlerContext } from '@connectrpc/connect';
import type { GrayContext } from '../core/context.js';
import type { GrayPolicy } from '../core/policy.js';
import { callRecords, governedKeys, type DecidedCall } from '../core/call-records.js';

/**
 * The Connect `ContextKey` under which `grayServerInterceptor` stores the call's gray context:
 * `context.values.get(GRAY_CONTEXT_KEY)` in a handler (default value `undefined`). Its id is a
 * `Symbol.for`, so every copy of graylane in the process (ESM and CommonJS) shares it.
 */
export const GRAY_CONTEXT_KEY: ContextKey<GrayContext | undefined> = Object.freeze({
  id: Symbol.for('graylane.connect.gray-context.v1'),
  defaultValue: undefined,
});

/** What the interceptor decided for one call, and the policy it decided with. Internal. */
export type ConnectDecidedCall = DecidedCall;

// Keyed by the request's header object, which Connect hands the handler as `context.requestHeader`.
const calls = callRecords<Headers>('connect');

/** Records what the interceptor decided for the call whose request headers are `header`. Internal. */
export const recordConnectCall = (header: Headers, ctx: GrayContext, policy: GrayPolicy): void => calls.record(header, ctx, policy);

/** What the interceptor decided for the call whose request headers are `header`, if any. Internal. */
export const decidedConnectCall = (header: Headers): ConnectDecidedCall | undefined => calls.get(header);

/** Removes from `header` (in place) every key the deciding policy governs (the remote caller's gray keys). Internal. */
export function stripConnectPolicyKeys(header: Headers, policy: GrayPolicy): void {
  for (const key of governedKeys(header.keys(), policy)) header.delete(key);
}

/**
 * The gray context `grayServerInterceptor` decided for a Connect call — after trust, the allowlist
 * and coloring rules — read from the handler context (the counterpart of nice-grpc's
 * `context.gray`). Works anywhere, also outside the handler's async context.
 *
 * @param context - the handler's `HandlerContext` (anything with `values`), or its `requestHeader`.
 * @returns the call's context, or `undefined` when no `grayServerInterceptor` decided one (none is
 *   installed, or the call was to a health path).
 * @example
 * const stage = getCallGrayContext(context)?.stage ?? 'stable';
 */
export function getCallGrayContext(context: Pick<HandlerContext, 'values'> | Headers): GrayContext | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  if (typeof Headers === 'function' && context instanceof Headers) return decidedConnectCall(context)?.ctx;
  const values = (context as { values?: { get?: unknown } }).values;
  if (typeof values !== 'object' || values === null || typeof values.get !== 'function') return undefined;
  return (values as HandlerContext['values']).get(GRAY_CONTEXT_KEY);
}
