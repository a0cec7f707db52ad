// A shop front whose new checkout is a feature flag, not an `if (stage === 'canary')` branch.
// graylane's HTTP edge decides the release stage (testers with the QA token may ask for canary);
// grayOpenFeatureHook() puts it into every flag evaluation as `releaseStage`; OpenFeature's
// in-memory provider turns the flag on for `releaseStage == "canary"`. Run it: npx tsx examples/openfeature/main.ts
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemoryProvider, OpenFeature, type EvaluationContext } from '@openfeature/server-sdk';
import { grayHttpMiddleware } from 'graylane/http';
import { grayOpenFeatureHook } from 'graylane/openfeature';

/** The secret testers send in `x-gray-token` to choose a stage (load it from your secret store). */
export const QA_TOKEN = 'qa-token-change-me-0123456789';

/** The flags: `new-checkout` is on for canary requests, off for everyone else. */
const FLAGS = {
  'new-checkout': {
    variants: { on: true, off: false },
    defaultVariant: 'off',
    disabled: false,
    contextEvaluator: (ctx: EvaluationContext) => (ctx['releaseStage'] === 'canary' ? 'on' : 'off'),
  },
};

/** A running shop front. */
export interface Shopfront {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Closes the server and the OpenFeature provider. */
  close(): Promise<void>;
}

/** Starts the shop front on 127.0.0.1 (port 0 = any free port). */
export async function startShopfront(port = 0): Promise<Shopfront> {
  // A domain of its own, so the example never touches another part of the process's OpenFeature setup.
  await OpenFeature.setProviderAndWait('shopfront', new InMemoryProvider(FLAGS));
  const flags = OpenFeature.getClient('shopfront');
  flags.addHooks(grayOpenFeatureHook());

  const gray = grayHttpMiddleware({ trust: { tokenHeader: 'x-gray-token', tokens: [QA_TOKEN] } });
  const server = http.createServer((req, res) => gray(req, res, () => {
    // Business code: no stage in sight.
    void flags.getBooleanValue('new-checkout', false).then((newCheckout) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ checkout: newCheckout ? 'new' : 'classic' }));
    });
  }));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await OpenFeature.clearProviders();
    },
  };
}
