// The ramp drill: a short, sped-up progressive rollout of the canary pricing with graylane/rollout,
// driven through the shop's own registry. Users under /ramp/ are colored by the rollout's share (read
// from the registry on every request); the controller advances after a healthy dwell; errors injected
// into the canary at one step trip its analysis → the ramp aborts (stage disabled, share 0) and the
// edge stops coloring at once.
import { createRollout } from 'graylane/rollout';
import { RAMP_ROLLOUT } from './gateway.js';
import type { OrderReply } from './traffic.js';
import type { Shop } from './shop.js';

export interface RampReport {
  /** The shares of the ramp, in percent. */
  steps: number[];
  /** The highest share the ramp reached. */
  reached: number;
  aborted: boolean;
  /** Why it was aborted (the analysis's words), or undefined. */
  reason: string | undefined;
  /** The share at which errors were injected into the canary pricing. */
  failAt: number;
  /** Requests and canary-colored requests (fresh users each) while each share was in force. */
  perStep: Array<{ percent: number; requests: number; canary: number }>;
  /** Ramp requests colored canary after the abort (the edge should color none). */
  canaryAfterAbort: number;
  timeline: Array<{ atMs: number; event: string }>;
}

export interface RampOptions {
  /** Shares of the ramp. Default [10, 25, 50, 100]. */
  steps?: number[];
  /** Index of the step whose canary gets errors. Default 2 (the third step). */
  failStep?: number;
  /** Dwell per step, in ms (sped up: minutes in production). Default 400. */
  dwellMs?: number;
  /** Give up after this long, in ms. Default 20000. */
  timeoutMs?: number;
}

async function rampOrder(url: string, user: string): Promise<{ status: number; body: OrderReply }> {
  const res = await fetch(`${url}/ramp/orders?sku=book`, { method: 'POST', headers: { 'x-user-id': user }, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as OrderReply };
}

export async function runRampDrill(shop: Shop, options: RampOptions = {}): Promise<RampReport> {
  const steps = options.steps ?? [10, 25, 50, 100];
  const failStep = options.failStep ?? 2;
  const t0 = performance.now();
  const timeline: RampReport['timeline'] = [];
  const at = (event: string) => timeline.push({ atMs: Math.round(performance.now() - t0), event });
  const rollout = createRollout({
    registry: shop.registry, name: RAMP_ROLLOUT, service: 'pricing', stage: 'canary', steps,
    minDwellMs: options.dwellMs ?? 400, minCalls: 10, tickMs: 50, reportMs: 500,
    analysis: { windowMs: 5_000, minSamples: 10, maxErrorRate: 0.05, maxP99Ms: 2_000 },
  });
  // The rollout's guard analyses the canary pricing calls during the drill (instead of the shop's guard).
  const feed = shop.guardFeed.splice(0, shop.guardFeed.length, rollout.guard);
  let reason: string | undefined;
  let reached: number;
  rollout.on('step', (r: { step: number; percent: number }) => {
    at(`healthy step → step ${r.step + 1}/${steps.length}: share ${r.percent} %`);
  });
  rollout.on('aborted', (e: { reason: string }) => {
    reason = e.reason;
    at(`ramp aborted: ${e.reason} → canary pricing disabled in the ${shop.registryKind} registry, share 0 %`);
  });
  rollout.on('promoted', () => at('promoted at 100 %'));
  rollout.guard.once('trip', (t: { reason: string; errorRate: number; samples: number }) => {
    at(`analysis breached: ${t.reason} (error rate ${(t.errorRate * 100).toFixed(1)} % over ${t.samples} canary calls) → aborting`);
  });
  const perStep = new Map<number, { percent: number; requests: number; canary: number }>();
  let injected = false;
  let users = 0;
  let canaryAfterAbort = 0;
  try {
    const started = await rollout.start();
    reached = started?.percent ?? 0;
    at(`ramp started: ${steps.map((s) => `${s} %`).join(' → ')} (dwell ${options.dwellMs ?? 400} ms per step, sped up)`);
    const deadline = performance.now() + (options.timeoutMs ?? 20_000);
    for (;;) {
      const record = shop.registry.getRollout(RAMP_ROLLOUT);
      if (record === undefined || record.state !== 'running' || performance.now() > deadline) break;
      reached = Math.max(reached, record.percent);
      if (record.step === failStep && !injected) {
        injected = true;
        shop.pricingCanary.setFailing(true);
        at(`errors injected into pricing-canary at ${record.percent} %`);
      }
      const cell = perStep.get(record.step) ?? { percent: record.percent, requests: 0, canary: 0 };
      perStep.set(record.step, cell);
      const replies = await Promise.all(Array.from({ length: 16 }, () => rampOrder(shop.gateway.url, `ramp-user-${users++}`)));
      // Count a batch for its step only when no transition (an advance, or an abort, which disables
      // the stage before it sets the share to 0) happened while it was in flight.
      const now = shop.registry.getRollout(RAMP_ROLLOUT);
      if (now?.state !== 'running' || now.step !== record.step || shop.registry.getService('pricing').rules.disabledStages.includes('canary')) continue;
      for (const r of replies) {
        cell.requests++;
        if (r.body.stage === 'canary') cell.canary++;
      }
    }
    for (const c of perStep.values()) at(`  at ${c.percent} %: ${c.canary}/${c.requests} new users colored canary (${((c.canary / Math.max(1, c.requests)) * 100).toFixed(1)} %)`);
    if (reason !== undefined) {
      const after = await Promise.all(Array.from({ length: 40 }, () => rampOrder(shop.gateway.url, `ramp-user-${users++}`)));
      canaryAfterAbort = after.filter((r) => r.body.stage === 'canary').length;
      at(`edge after the abort: ${canaryAfterAbort}/${after.length} new users colored canary`);
    }
  } finally {
    shop.pricingCanary.setFailing(false);
    shop.guardFeed.splice(0, shop.guardFeed.length, ...feed);
    await rollout.close();
    // Leave the shop as it was: the fixed canary back in routing.
    if (reason !== undefined) await shop.registry.setStageDisabled('pricing', 'canary', false);
  }
  return { steps, reached, aborted: reason !== undefined, reason, failAt: steps[failStep] ?? 0, perStep: [...perStep.values()], canaryAfterAbort, timeline };
}
