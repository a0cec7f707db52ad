// `npm run demo -- --dashboard`: the lane dashboard (graylane dashboard, in-process) on the shop's registry
// and its services' per-stage /metrics, so a newcomer sees the lanes and the rollback drill happen.
import { startDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { traceCall } from '../../src/cli/trace.js';
import { CLASSES, headersFor, order } from './traffic.js';
import type { Shop } from './shop.js';

/** Longest the demo keeps serving the dashboard after its run (then it stops by itself). */
export const DASHBOARD_MAX_MS = 10 * 60_000;

/** Starts the dashboard (read-only, port 0) on the shop; prints its URL on stderr. */
export async function startShopDashboard(shop: Shop): Promise<Dashboard> {
  const path = shop.registryPath;
  const board = await startDashboard({
    registry: shop.registry,
    where: path ?? shop.registryKind,
    services: ['gateway', 'orders', 'inventory', 'pricing'],
    metrics: shop.metrics.map((m) => {
      const at = m.indexOf('=');
      return { service: m.slice(0, at), url: m.slice(at + 1) };
    }),
    port: 0,
    trace: traceCall,
    intervalMs: 1000,
    windowMs: 10_000,
  });
  console.error(`graylane dashboard on ${board.url} (read-only) — watch the lanes and the rollback drill`);
  return board;
}

/**
 * Keeps the shop and its dashboard up after the run, with a trickle of mixed traffic so the lanes stay
 * lit, until Ctrl-C / SIGTERM or `maxMs` (at most {@link DASHBOARD_MAX_MS}).
 */
export async function serveUntilStopped(shop: Shop, board: Dashboard, maxMs: number): Promise<void> {
  const ms = Math.max(0, Math.min(DASHBOARD_MAX_MS, maxMs));
  console.error(`dashboard still serving on ${board.url} — Ctrl-C to stop (stops by itself after ${Math.round(ms / 1000)} s)`);
  let running = true;
  const trickle = (async () => {
    for (let n = 0; running; n++) {
      await order(shop.gateway.url, headersFor(CLASSES[n % CLASSES.length]!, n)).catch(() => undefined);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  })();
  await new Promise<void>((done) => {
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      done();
    }
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
  running = false;
  await trickle;
  await board.close();
}
