/**
 * graylane/otel/grpc-js: the W3C `baggage` header on grpc-js calls — a server `resolve` hook that
 * takes the stage from it when the metadata has none (`grayBaggageResolve`), and a client
 * interceptor that writes the stage into it (`grayBaggageClientInterceptor`). Needs `@grpc/grpc-js`
 * only: the header is read and written without `@opentelemetry/api`.
 * @packageDocumentation
 */
export { grayBaggageResolve, grayBaggageClientInterceptor } from './baggage.js';
export type { GrayBaggageOptions } from '../baggage-key.js';
