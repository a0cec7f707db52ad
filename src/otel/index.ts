/**
 * graylane/otel: the OpenTelemetry baggage bridge, framework-neutral. Reads the release stage from
 * OTel baggage (`getStageFromBaggage`, `grayContextFromBaggage`) or from a carrier's W3C `baggage`
 * header (`grayBaggageGetter`), and writes it into OTel baggage (`setGrayBaggage`). Needs
 * `@opentelemetry/api`. The grpc-js hooks are in `graylane/otel/grpc-js`.
 * @packageDocumentation
 */
export { BAGGAGE_HEADER, MAX_BAGGAGE_LENGTH, MAX_BAGGAGE_MEMBERS, parseBaggageHeader, readBaggageEntry, addBaggageMember, isBaggageKey } from './baggage-header.js';
export { getStageFromBaggage, grayContextFromBaggage, setGrayBaggage } from './baggage-bridge.js';
export type { GrayBaggageOptions } from './baggage-key.js';
export { grayBaggageGetter } from './baggage-getter.js';
export type { GrayBaggageGetterOptions } from './baggage-getter.js';
