/**
 * The W3C `baggage` header on grpc-js calls: a server `resolve` hook reading the stage from it when
 * the metadata lacks `x-release-stage`, and a client interceptor writing the stage into it. Reads and
 * writes the header itself: no OpenTelemetry package is needed.
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { Interceptor, Metadata } from '@grpc/grpc-js';
import { getGrayContext, type GrayContext } from '../../core/context.js';
import { defaultGrayPolicy, type GrayPolicy } from '../../core/policy.js';
import { addBaggageMember, BAGGAGE_HEADER, readBaggageEntry } from '../baggage-header.js';
import { acceptBaggageStage, baggageKeyOf, type GrayBaggageOptions } from '../baggage-key.js';

/**
 * Returns a `resolve` hook for `grayServerInterceptor({ resolve })`: when the request carries no
 * stage of its own, the stage of the `baggage` metadata entry (key `baggageKey`, default
 * `'x-release-stage'`) is used, validated by `policy` (default: the policy of the interceptor or
 * middleware calling the hook, so its `trustIncoming: false` holds for baggage too). Requests
 * without a `baggage` entry cost one metadata lookup.
 *
 * @throws GrayConfigError for an invalid `baggageKey`.
 */
export function grayBaggageResolve(
  options?: GrayBaggageOptions,
): (extracted: GrayContext, metadata: Metadata, path?: string, serverPolicy?: GrayPolicy) => GrayContext {
  const key = baggageKeyOf(options);
  const own = options?.policy;
  return (extracted, md, _path, serverPolicy) => {
    const policy = own ?? serverPolicy ?? defaultGrayPolicy();
    if (extracted.explicit) return extracted;
    const header = md.get(BAGGAGE_HEADER)[0];
    if (typeof header !== 'string') return extracted;
    const raw = readBaggageEntry(header, key);
    if (raw === undefined) return extracted;
    const stage = acceptBaggageStage(raw, key, policy);
    return stage === undefined ? extracted : policy.contextFor(stage, extracted.entries);
  };
}

/**
 * Creates a grpc-js client interceptor that adds the current explicit stage to the outgoing
 * `baggage` entry (merged with a `baggage` the caller set; a stage member already there is kept), so
 * OTel-instrumented services that read W3C baggage see it. The caller's `Metadata` is never modified.
 *
 * @throws GrayConfigError for an invalid `baggageKey`.
 */
export function grayBaggageClientInterceptor(options?: Pick<GrayBaggageOptions, 'baggageKey'>): Interceptor {
  const key = baggageKeyOf(options);
  const requester: Partial<grpc.Requester> = {
    start(md, listener, next) {
      const ctx = getGrayContext();
      if (ctx === undefined || !ctx.explicit) return next(md, listener);
      const existing = md.get(BAGGAGE_HEADER)[0];
      const header = addBaggageMember(typeof existing === 'string' ? existing : undefined, key, ctx.stage);
      if (header === existing) return next(md, listener);
      const out = md.clone();
      out.set(BAGGAGE_HEADER, header);
      next(out, listener);
    },
  };
  return (callOptions, nextCall) => new grpc.InterceptingCall(nextCall(callOptions), requester);
}
