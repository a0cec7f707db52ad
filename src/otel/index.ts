/**
 * graylane/otel: the OpenTelemetry baggage bridge. Reads the release stage from W3C baggage when
 * metadata lacks it, and writes it into baggage so OTel-instrumented services see it.
 * `@opentelemetry/api` is an optional peer needed by this entry point only.
 * @packageDocumentation
 */
export { BAGGAGE_HEADER, MAX_BAGGAGE_LENGTH, MAX_BAGGAGE_MEMBERS, parseBaggageHeader, readBaggageEntry, addBaggageMember, isBaggageKey } from './baggage-header.js';
export { getStageFromBaggage, grayContextFromBaggage, setGrayBaggage } from './baggage-bridge.js';
export type { GrayBaggageOptions } from './baggage-bridge.js';
export { grayBaggageGetter } from './baggage-getter.js';
export type { GrayBaggageGetterOptions } from './baggage-getter.js';
export { grayBaggageResolve, grayBaggageClientInterceptor } from './grpc-js-baggage.js';
