// Type-level consumer of graylane/ops and graylane/openfeature (@openfeature/server-sdk installed).
import type { Hook } from '@openfeature/server-sdk';
import { grayOpenFeatureHook } from 'graylane/openfeature';
import { prometheusRules, rulesToYaml } from 'graylane/ops';

const hook: Hook = grayOpenFeatureHook();
const yaml: string = rulesToYaml(prometheusRules({ services: ['shop.Pricing'] }));
// @ts-expect-error the hook is an OpenFeature Hook (proves the SDK's types resolved, not `any`)
const wrong: Hook = 42;
export { hook, yaml, wrong };
