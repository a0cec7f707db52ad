/**
 * Compatibility layer over grpc-js's experimental resolver / load-balancer API, whose shapes
 * changed between 1.10 and 1.14:
 * - LB constructor: `(helper, options)` (1.10–1.11), `(helper, credentials, options)` (1.12),
 *   `(helper)` (1.13+; options then arrive with each address update);
 * - `updateAddressList`: `(Endpoint[], config, attributes)` (≤1.12) or
 *   `(StatusOr<Endpoint[]>, config, options, note) → boolean` (1.13+);
 * - resolver listener: an object with `onSuccessfulResolution` / `onError` (≤1.12) or a function
 *   `(StatusOr<Endpoint[]>, attributes, StatusOr<ServiceConfig> | null, note) → boolean` (1.13+);
 * - `helper.updateState(state, picker)` gained a third `errorMessage` argument (extra arguments are
 *   harmless on older versions).
 * @packageDocumentation
 */
import type * as grpc from '@grpc/grpc-js';
import { GrayConfigError } from '../core/errors.js';

/** The grpc-js module routing registers on (any supported version). */
export type GrpcModule = typeof grpc;
/** Channel options as grpc-js passes them to load balancers. */
export type ChannelOptionsLike = Record<string, unknown>;
/** grpc-js `Endpoint` (a list of addresses). */
export type EndpointLike = { addresses: { host: string; port: number }[] };
/** A resolver result or error in either API shape. */
type StatusOrEndpoints = { ok: true; value: EndpointLike[] } | { ok: false; error: { code: number; details: string; metadata?: grpc.Metadata } };

/** Throws `GrayConfigError` unless `mod` has the experimental API routing needs (grpc-js ≥ 1.10). */
export function assertRoutingSupport(mod: unknown): asserts mod is GrpcModule {
  const m = mod as Partial<GrpcModule> | undefined;
  const exp = m?.experimental as Partial<GrpcModule['experimental']> | undefined;
  const ok =
    typeof exp?.registerResolver === 'function' &&
    typeof exp.registerLoadBalancerType === 'function' &&
    typeof exp.isLoadBalancerNameRegistered === 'function' &&
    typeof (m as { ServerInterceptingCall?: unknown }).ServerInterceptingCall === 'function' &&
    exp.PickResultType !== undefined;
  if (!ok) {
    throw new GrayConfigError(
      'graylane: routing needs @grpc/grpc-js >= 1.10 (experimental resolver and load-balancer API); pass the grpc-js module your clients use as `grpc`, or upgrade with `npm install @grpc/grpc-js@^1.10`.',
    );
  }
}

function isChannelOptions(value: unknown): value is ChannelOptionsLike {
  // ChannelCredentials (1.12's second argument) are class instances with methods; options are plain.
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** Channel options from the LB constructor's extra arguments (`{}` on 1.13+, where they come later). */
export function optionsFromConstructor(args: readonly unknown[]): ChannelOptionsLike {
  for (let i = args.length - 1; i >= 0; i--) {
    if (isChannelOptions(args[i])) return args[i] as ChannelOptionsLike;
  }
  return {};
}

/** A normalised `updateAddressList` call. */
export type AddressUpdate =
  | { ok: true; endpoints: EndpointLike[]; options: ChannelOptionsLike | undefined }
  | { ok: false; details: string; options: ChannelOptionsLike | undefined };

/** Normalises `updateAddressList`'s first and third arguments across versions. */
export function normalizeAddressUpdate(list: unknown, third: unknown): AddressUpdate {
  if (Array.isArray(list)) return { ok: true, endpoints: list as EndpointLike[], options: undefined };
  const status = list as StatusOrEndpoints;
  const options = isChannelOptions(third) ? third : undefined;
  if (status.ok) return { ok: true, endpoints: status.value, options };
  return { ok: false, details: status.error.details, options };
}

type OldListener = {
  onSuccessfulResolution(endpoints: EndpointLike[], serviceConfig: object | null, configError: null, selector: null, attributes: object): void;
  onError(error: { code: number; details: string; metadata: grpc.Metadata }): void;
};
type NewListener = (endpoints: StatusOrEndpoints, attributes: object, serviceConfig: { ok: true; value: object } | null, note: string) => boolean;

/** Delivers a successful resolution through either listener shape. */
export function deliverResolution(listener: unknown, endpoints: EndpointLike[], serviceConfig: object, note: string): void {
  if (typeof listener === 'function') {
    (listener as NewListener)({ ok: true, value: endpoints }, {}, { ok: true, value: serviceConfig }, note);
  } else {
    (listener as OldListener).onSuccessfulResolution(endpoints, serviceConfig, null, null, {});
  }
}

/** Delivers a resolution error (status `code`, `details`) through either listener shape. */
export function deliverResolutionError(listener: unknown, mod: GrpcModule, code: number, details: string): void {
  if (typeof listener === 'function') {
    (listener as NewListener)({ ok: false, error: { code, details, metadata: new mod.Metadata() } }, {}, null, details);
  } else {
    (listener as OldListener).onError({ code, details, metadata: new mod.Metadata() });
  }
}
