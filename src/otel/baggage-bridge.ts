/**
 * The OpenTelemetry side of the bridge: read the stage from OTel baggage, write it into OTel
 * baggage. Uses `@opentelemetry/api` (an optional peer, loaded only with `graylane/otel`).
 * @packageDocumentation
 */
import { context as otelContext, propagation, type Context } from '@opentelemetry/api';
import { getGrayContext, type GrayContext } from '../core/context.js';
import { defaultGrayPolicy } from '../core/policy.js';
import { acceptBaggageStage, baggageKeyOf, type GrayBaggageOptions } from './baggage-key.js';

/**
 * The stage in the OpenTelemetry baggage of `ctx` (default: the active OTel context), validated by
 * the policy; `undefined` when absent or rejected (never throws on bad values). Baggage comes from
 * the caller: under a policy with `trustIncoming: false` it is ignored (and reported to `onInvalid`
 * with reason `'untrusted'`), exactly as a caller's `x-release-stage` is.
 *
 * @throws GrayConfigError for an invalid `baggageKey` option.
 */
export function getStageFromBaggage(ctx: Context = otelContext.active(), options?: GrayBaggageOptions): string | undefined {
  const key = baggageKeyOf(options);
  const raw = propagation.getBaggage(ctx)?.getEntry(key)?.value;
  if (typeof raw !== 'string') return undefined;
  return acceptBaggageStage(raw, key, options?.policy ?? defaultGrayPolicy());
}

/**
 * The gray context for an OTel context's baggage: its stage as an explicit context, or `undefined`
 * when the baggage carries no valid stage or the policy does not trust callers
 * (`trustIncoming: false`). Run handlers in it with `runWithGrayContext`.
 */
export function grayContextFromBaggage(ctx: Context = otelContext.active(), options?: GrayBaggageOptions): GrayContext | undefined {
  const stage = getStageFromBaggage(ctx, options);
  return stage === undefined ? undefined : (options?.policy ?? defaultGrayPolicy()).contextFor(stage);
}

/**
 * Returns `ctx` (default: the active OTel context) with the stage of `gray` (default: the current
 * gray context) in its baggage, so OTel propagators and instrumented services see it. Only an
 * explicit stage is written; otherwise `ctx` is returned unchanged. Other baggage entries are kept.
 *
 * @example
 * otelContext.with(setGrayBaggage(), () => fetch(url)); // an OTel-instrumented fetch sends the stage
 * @throws GrayConfigError for an invalid `baggageKey` option.
 */
export function setGrayBaggage(ctx: Context = otelContext.active(), gray: GrayContext | undefined = getGrayContext(), options?: GrayBaggageOptions): Context {
  const key = baggageKeyOf(options);
  if (gray === undefined || !gray.explicit) return ctx;
  const current = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  if (current.getEntry(key)?.value === gray.stage) return ctx;
  return propagation.setBaggage(ctx, current.setEntry(key, { value: gray.stage }));
}
