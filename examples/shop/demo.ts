// The graylane demo: starts the shop, sends mixed traffic, proves the tag at every hop, then runs the
// rollback drill (errors injected into the canary pricing → the guard trips → canary calls land on stable).
//   npm run demo [-- --requests 300] [-- --json] [-- --registry etcd://127.0.0.1:2379]
//   npm run demo -- --dashboard   (serves the lane dashboard during the run and after it, until Ctrl-C)
import { parseArgs } from 'node:util';
import { CLASSES, check, headersFor, newTally, order, type OrderReply } from './traffic.js';
import { startShop, type Shop } from './shop.js';
import { printReport, type DemoReport } from './report.js';
import { connectQueueHop, skippedLine, queueHopOk, runQueueHop } from './queue-hop.js';
import { runRampDrill } from './ramp.js';
import { DASHBOARD_MAX_MS, serveUntilStopped, startShopDashboard } from './dashboard.js';
import type { Dashboard } from '../../src/dashboard/index.js';

/** Runs the demo with command-line arguments; resolves to the exit code (0 only when every check passed). */
export async function runDemo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      requests: { type: 'string', default: '300' },
      json: { type: 'boolean', default: false },
      registry: { type: 'string', default: 'file' },
      dashboard: { type: 'boolean', default: false },
      // How long to keep serving the dashboard after the run (tests use a short one). Default and cap: 10 minutes.
      'dashboard-exit-after-ms': { type: 'string' },
    },
  });
  const requests = Math.max(CLASSES.length, Math.min(20_000, Number(values.requests) || 300));
  const progress = (done: number, total: number) => {
    if (values.json || !process.stderr.isTTY) return;
    const width = 30;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
  };

  let shop: Shop | undefined;
  let board: Dashboard | undefined;
  // The queue hop (RabbitMQ) is optional: without a broker it is skipped, with one line.
  const hop = await connectQueueHop();
  if ('skipped' in hop && values.json) console.error(skippedLine(hop.broker));
  const stop = async () => { await board?.close(); await shop?.stop(); if ('stop' in hop) await hop.stop(); };
  const onSignal = (code: number) => () => void stop().finally(() => process.exit(code));
  const sigint = onSignal(130);
  const sigterm = onSignal(143);
  process.once('SIGINT', sigint);
  process.once('SIGTERM', sigterm);

  try {
    shop = await startShop({
      registry: values.registry, guard: { window: 10_000, minSamples: 20 },
      ...('onOrderPlaced' in hop ? { onOrderPlaced: hop.onOrderPlaced } : {}),
      metrics: values.dashboard,
    });
    if (values.dashboard) board = await startShopDashboard(shop);
    if ('start' in hop) await hop.start(shop.registry);

    // 1. Mixed traffic, 16 in flight.
    const tally = newTally();
    for (let i = 0; i < requests; i += 16) {
      const batch = Array.from({ length: Math.min(16, requests - i) }, (_, k) => i + k);
      await Promise.all(batch.map(async (n) => {
        const cls = CLASSES[n % CLASSES.length]!;
        const headers = headersFor(cls, n);
        check(tally, cls, await order(shop!.gateway.url, headers), headers['x-user-id']);
      }));
      progress(Math.min(i + 16, requests), requests);
    }

    // 2. The hop trace of one canary request.
    const traced = await order(shop.gateway.url, { ...headersFor('qa-canary', 0), 'x-gray-trace': '1' });

    // 2b. The queue hop: orders → RabbitMQ → stable / canary worker (lanes from the registry).
    const queue = await runQueueHop(hop, shop.gateway.url);

    // 3. The rollback drill.
    const t0 = performance.now();
    const timeline: Array<{ atMs: number; event: string }> = [];
    const at = (event: string) => timeline.push({ atMs: Math.round(performance.now() - t0), event });
    let trip: { reason: string; errorRate: number; p99Ms: number; samples: number } | undefined;
    shop.guard.once('trip', (e: { reason: string; errorRate: number; p99Ms: number; samples: number }) => {
      trip = e;
      at(`guard tripped: ${e.reason} (error rate ${(e.errorRate * 100).toFixed(1)} % over ${e.samples} calls) → canary pricing disabled in the ${shop!.registryKind} registry`);
    });
    shop.pricingCanary.setFailing(true);
    at('errors injected into pricing-canary');
    let failedDuringDrill = 0;
    for (let i = 0; i < 200 && !trip; i++) {
      const r = await order(shop.gateway.url, headersFor('qa-canary', i));
      if (r.status !== 200) failedDuringDrill++;
    }
    // Routing follows the registry; wait (bounded) for the disabled stage to reach the balancer.
    const afterTrip: OrderReply[] = [];
    for (let i = 0; i < 40 && afterTrip.length < 20; i++) {
      const r = await order(shop.gateway.url, headersFor('qa-canary', i));
      if (r.status === 200) afterTrip.push(r.body);
      else await new Promise((ok) => setTimeout(ok, 50));
    }
    const onStable = afterTrip.filter((b) => b.servedBy?.find((h) => h.service === 'pricing')?.instanceStage === 'stable').length;
    if (trip) at(`${onStable}/${afterTrip.length} following canary requests priced by stable pricing`);
    // The edge follows the registry too: a user the rollout rule colored canary is now colored stable.
    const user = tally.canaryUser;
    const userStage = async () => user === undefined ? undefined : (await order(shop!.gateway.url, { 'x-user-id': user })).body.stage;
    const userAfterTrip = await userStage();
    if (user !== undefined) at(`edge: ${user} (canary by the 20 % rule) is now colored ${userAfterTrip}`);
    shop.pricingCanary.setFailing(false);
    await shop.guard.resume();
    let resumedOnCanary = false;
    for (let i = 0; i < 40 && !resumedOnCanary; i++) {
      const r = await order(shop.gateway.url, headersFor('qa-canary', i));
      resumedOnCanary = r.body.servedBy?.find((h) => h.service === 'pricing')?.instanceStage === 'canary';
      if (!resumedOnCanary) await new Promise((ok) => setTimeout(ok, 50));
    }
    at(resumedOnCanary ? 'canary fixed and resumed → canary requests priced by pricing-canary again' : 'resume did not restore canary routing');
    const userAfterResume = await userStage();
    if (user !== undefined) at(`edge: ${user} is colored ${userAfterResume} again`);

    // 4. The ramp drill (graylane/rollout): a sped-up stepped ramp; errors at the third step abort it.
    const ramp = await runRampDrill(shop);

    const report: DemoReport = {
      requests: tally.requests,
      failed: tally.failed,
      hopsChecked: tally.hopsChecked,
      tagsLost: tally.tagsLost,
      misrouted: tally.misrouted,
      fallbacks: tally.fallbacks,
      canaryShareOfUsers: tally.users ? tally.usersOnCanary / tally.users : 0,
      registry: shop.registryKind,
      perHop: Object.fromEntries(tally.cells),
      trace: traced.body.trace,
      rollback: {
        tripped: trip !== undefined,
        reason: trip?.reason,
        failedDuringDrill,
        afterTrip: { requests: afterTrip.length, pricedByStable: onStable },
        resumed: resumedOnCanary,
        edge: { user, afterTrip: userAfterTrip, afterResume: userAfterResume },
        timeline,
      },
      queue,
      ramp,
    };
    printReport(report, values.json);
    const ok = report.tagsLost === 0 && report.misrouted === 0 && report.failed === 0 && report.rollback.tripped && onStable === afterTrip.length && afterTrip.length > 0
      && (user === undefined || (userAfterTrip === 'stable' && userAfterResume === 'canary')) && queueHopOk(queue)
      && ramp.aborted && ramp.reached === ramp.failAt && ramp.canaryAfterAbort === 0;
    if (board) {
      // Ctrl-C now ends the wait (the shop is then stopped below), not the process.
      process.off('SIGINT', sigint);
      process.off('SIGTERM', sigterm);
      const after = Number(values['dashboard-exit-after-ms'] ?? DASHBOARD_MAX_MS);
      await serveUntilStopped(shop, board, Number.isFinite(after) ? after : DASHBOARD_MAX_MS);
    }
    return ok ? 0 : 1;
  } finally {
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
    await stop();
  }
}
