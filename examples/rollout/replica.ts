/**
 * One replica of a service that ramps its canary with graylane/rollout: the edge colors users by the
 * registry's share of rollout 'pricing-v2', calls to shop.Price feed the rollout's guard, and every
 * replica joins the controller (one leads). Start the ramp once: `graylane rollout start pricing-v2
 * --registry registry.json --service shop.Price --steps 1,5,25,50,100 --dwell 10m --min-calls 200`.
 */
import * as grpc from '@grpc/grpc-js';
import { createColoringRules } from 'graylane';
import { grayClientInterceptor } from 'graylane/grpc-js';
import { rollbackGuardClientInterceptor } from 'graylane/observe/grpc-js';
import { createFileRegistry, registerGrayRouting, stageEnabledIn } from 'graylane/routing';
import { createRollout, rolloutPercentIn } from 'graylane/rollout';

const registry = createFileRegistry('registry.json');
const routing = registerGrayRouting({ registry });

// The edge: the share of 'pricing-v2' comes from the registry on every request; a disabled stage colors nobody.
export const rules = createColoringRules([{ name: 'pricing ramp', stage: 'canary', rollout: { rollout: 'pricing-v2', header: 'x-user-id' } }], {
  rolloutPercent: rolloutPercentIn(registry),
  isStageEnabled: stageEnabledIn(registry, 'shop.Price'),
});

// The controller: analysis over 60 s windows (abort above 1 % errors or 800 ms p99).
const rollout = createRollout({ registry, name: 'pricing-v2', service: 'shop.Price', analysis: { windowMs: 60_000, maxErrorRate: 0.01, maxP99Ms: 800 } });
rollout.on('step', (r: { percent: number }) => console.log(`pricing-v2 now at ${r.percent}%`));
rollout.on('aborted', (e: { reason: string }) => console.warn(`pricing-v2 aborted: ${e.reason}`));
rollout.on('promoted', () => console.log('pricing-v2 healthy at 100%: promote the build, then `graylane rollout done pricing-v2`'));
rollout.join();

// Calls to shop.Price feed the rollout's guard.
export const priceClient = new grpc.Client(routing.target('shop.Price'), grpc.credentials.createInsecure(), {
  interceptors: [grayClientInterceptor(), rollbackGuardClientInterceptor(rollout.guard)],
});
