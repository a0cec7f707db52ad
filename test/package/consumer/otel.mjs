// With only @opentelemetry/api installed: graylane/otel reads the stage from OTel baggage and from a
// W3C baggage header, in the ESM and the CommonJS build. Prints what each read.
import { createRequire } from 'node:module';
import { ROOT_CONTEXT, propagation } from '@opentelemetry/api';
const require = createRequire(import.meta.url);
const out = {};
for (const [format, core, otel] of [['esm', await import('graylane'), await import('graylane/otel')], ['cjs', require('graylane'), require('graylane/otel')]]) {
  const ctx = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ 'x-release-stage': { value: 'canary' } }));
  const header = core.extractGrayContext({ baggage: 'a=1,x-release-stage=blue' }, otel.grayBaggageGetter(core.recordCarrier));
  out[format] = { fromContext: otel.getStageFromBaggage(ctx), fromHeader: header.stage };
}
console.log(JSON.stringify(out));
