/**
 * Preload (`--import`) for the OpenTelemetry scenarios: registers a NodeTracerProvider (W3C trace
 * context + baggage propagators, AsyncLocalStorage context manager) and instrumentation-grpc before
 * grpc-js is required, so the require hook patches it. `BENCH_OTEL_SAMPLER=on|off` picks the sampler.
 * @packageDocumentation
 */
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** Drops every span: the cost measured is recording and batching, not an exporter's I/O. */
const discard: SpanExporter = {
  export(_spans: ReadableSpan[], done) {
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};

const on = process.env.BENCH_OTEL_SAMPLER === 'on';
const provider = new NodeTracerProvider({
  sampler: on ? new AlwaysOnSampler() : new AlwaysOffSampler(),
  spanProcessors: on ? [new BatchSpanProcessor(discard)] : [],
});
provider.register({
  propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
});
registerInstrumentations({ instrumentations: [new GrpcInstrumentation()] });
