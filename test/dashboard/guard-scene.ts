/**
 * The dashboard's rollback-guard scene, shared by the guard-trip page test and `npm run docs:screens`:
 * the lanes fleet with a real rollback guard on its file registry (fed by Front's client interceptor),
 * the dashboard in-process on it, steady traffic on both stages, and a headless Chromium on the page.
 * `healthy()`, `errors()` and `tripped()` wait for what the page shows in each state.
 */
import type { Page } from 'playwright-core';
import { createRollbackGuard } from 'graylane/observe';
import { startDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { launchChromium } from '../helpers/chromium.js';
import { startLanesFleet, type LanesFleet } from '../helpers/lanes-fleet.js';

/** The page's DOM, inside page.evaluate callbacks (the test program has no DOM lib). */
interface PageNode { readonly textContent: string | null; readonly children: ArrayLike<PageNode> }
declare const document: { querySelectorAll(selector: string): Iterable<PageNode> };

/** Calls the guard needs in its window before it judges (at ~20 canary calls/s: a few seconds of red first). */
export const GUARD_MIN_SAMPLES = 80;

/** A running scene. */
export interface GuardScene {
  readonly fleet: LanesFleet;
  readonly board: Dashboard;
  readonly page: Page;
  /** Errors the page logged. */
  readonly pageErrors: string[];
  /** The text of the Stages table row of `service` / `stage`, cells joined by `|`. */
  stageRow(service: string, stage: string): Promise<string | undefined>;
  /** Waits until the page shows both Pricing stages healthy and the canary lane edge. */
  healthy(): Promise<void>;
  /** Fails the canary; waits until the page shows its error ratio over the guard's limit (before the trip). */
  errors(): Promise<void>;
  /** Waits until the guard has tripped and the page shows the stage disabled and canary calls on the fallback edge. */
  tripped(): Promise<void>;
  close(): Promise<void>;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`the page never showed ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts the scene with the viewport given (default 1200×800). */
export async function startGuardScene(viewport = { width: 1200, height: 800 }): Promise<GuardScene> {
  const fleet = await startLanesFleet('dashguard', {
    guard: (registry) => createRollbackGuard({ registry, service: 'shop.Pricing', stage: 'canary', window: 10_000, minSamples: GUARD_MIN_SAMPLES }),
  });
  const board = await startDashboard({
    registry: fleet.registry, where: fleet.registryPath, port: 0, intervalMs: 250, windowMs: 3000,
    metrics: fleet.metrics.map((m) => ({ service: m.slice(0, m.indexOf('=')), url: m.slice(m.indexOf('=') + 1) })),
  });
  let running = true;
  const traffic = (async () => {
    while (running) {
      await Promise.all([fleet.call('stable'), fleet.call('canary')]);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  const pageErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(board.url);

  const stageRow = (service: string, stage: string): Promise<string | undefined> => page.evaluate(([svc, st]) => {
    for (const tr of document.querySelectorAll('#stages tbody tr')) {
      const cells = Array.from(tr.children).map((c) => c.textContent ?? '');
      if (cells[0] === svc && cells[1] === st) return cells.join('|');
    }
    return undefined;
  }, [service, stage] as const);
  const edges = async (): Promise<string> => (await page.locator('#edges').textContent()) ?? '';

  return {
    fleet, board, page, pageErrors, stageRow,
    async healthy() {
      await until('both Pricing stages OK', async () => /\|0\.00 %\|.*\|OK\|/.test((await stageRow('shop.Pricing', 'canary')) ?? '')
        && /\|OK\|/.test((await stageRow('shop.Pricing', 'stable')) ?? ''));
      await until('the canary lane edge', async () => /shop\.Front → shop\.Pricing: canary calls [\d.]+\/s, errors 0\.00 %(?! — fallback)/.test(await edges()));
    },
    async errors() {
      fleet.failCanary = true;
      await until('the canary error ratio over the limit', async () => /\|Error ratio over 0\.50 %\|/.test((await stageRow('shop.Pricing', 'canary')) ?? ''));
    },
    async tripped() {
      await until('the guard trip', async () => fleet.guard!.state === 'tripped');
      await until('the canary disabled', async () => /\|Disabled\|/.test((await stageRow('shop.Pricing', 'canary')) ?? ''));
      await until('canary calls on the fallback edge', async () => /shop\.Front → shop\.Pricing: canary calls [\d.]+\/s, errors [\d.]+ % — fallback: served by the default stage/.test(await edges())
        && (await page.locator('#graph path.edge.fallback').count()) > 0);
    },
    async close() {
      running = false;
      await traffic;
      await browser.close();
      await board.close();
      await fleet.close();
    },
  };
}
