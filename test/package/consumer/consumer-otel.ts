// Type-level consumer of graylane/otel (only @opentelemetry/api installed): public names only,
// compiled with strict TypeScript against the tarball's .d.ts.
import { context, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { extractGrayContext, recordCarrier, runWithStage, type GrayContext } from 'graylane';
import { getStageFromBaggage, grayBaggageGetter, grayContextFromBaggage, setGrayBaggage, type GrayBaggageOptions } from 'graylane/otel';

const options: GrayBaggageOptions = { baggageKey: 'x-release-stage' };
const stage: string | undefined = getStageFromBaggage(context.active(), options);
const gray: GrayContext | undefined = grayContextFromBaggage(ROOT_CONTEXT, options);
const withStage: Context = runWithStage('canary', () => setGrayBaggage());
const fromHeader: GrayContext = extractGrayContext({ baggage: 'x-release-stage=canary' }, grayBaggageGetter(recordCarrier));
// @ts-expect-error the OTel context is an OTel Context (proves @opentelemetry/api's types resolved, not `any`)
getStageFromBaggage('not a context');
export { stage, gray, withStage, fromHeader };
