/**
 * The rollout panel's actions in a real headless Chromium, against the dashboard in-process on a real
 * file registry holding a running rollout: no buttons on a read-only dashboard; with a token only the
 * actions of the rollout's state; Pause asks for confirmation, cancelling changes nothing, a refusal
 * shows the server's words, and confirming (by keyboard) pauses the record once and the row shows
 * 'paused' — and offers Resume — without a reload.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRollout, type GrayRolloutRecord } from 'graylane/rollout';
import { createFileRegistry, type FileGrayRegistry } from 'graylane/routing';
import { startDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { launchChromium } from '../helpers/chromium.js';
import { fileState, storedRollout } from './http.js';

/** The page's DOM, inside page.evaluate callbacks (the test program has no DOM lib). */
interface PageNode { readonly textContent: string | null; readonly children: ArrayLike<PageNode> }
declare const document: { querySelectorAll(selector: string): Iterable<PageNode>; readonly activeElement: PageNode | null };
const isOpen = (d: unknown): boolean => (d as { open: boolean }).open;

const TOKEN = 'rollout-page-test-token-0123456789';
const NAME = 'pricing-v2';
const WHAT = `rollout ${NAME} (shop.Pricing / canary)`;

let dir: string;
let path: string;
let registry: FileGrayRegistry;
let board: Dashboard;
let readOnly: Dashboard;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
const pageErrors: string[] = [];
const changes: Array<GrayRolloutRecord | undefined> = [];

const disk = (): ReturnType<typeof fileState> => fileState(path);
const stored = (): GrayRolloutRecord => storedRollout(path, NAME);

/** The rollout table's rows, cells joined by `|` (the header row first). */
function rolloutRows(): Promise<string[]> {
  return page.evaluate(() => Array.from(document.querySelectorAll('#rollout-table tr')).map((tr) => Array.from(tr.children).map((c) => c.textContent ?? '').join('|')));
}
const buttons = (): Promise<string[]> => page.locator('#rollout-table button').allTextContents();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'graylane-dashboard-rollout-page-'));
  path = join(dir, 'registry.json');
  writeFileSync(path, JSON.stringify({ instances: [
    { service: 'shop.Pricing', address: '127.0.0.1:1', stage: 'stable' }, { service: 'shop.Pricing', address: '127.0.0.1:2', stage: 'canary' },
  ] }));
  registry = createFileRegistry(path, { pollIntervalMs: 100, debounceMs: 10 });
  await createRollout({ registry, name: NAME, service: 'shop.Pricing', stage: 'canary', steps: [5, 25, 100], minDwellMs: 600_000 }).start({ join: false });
  registry.watchRollout(NAME, (r) => changes.push(r));
  // Refreshes come from the registry's watches; the scrape tick is a minute away.
  board = await startDashboard({ registry, port: 0, token: TOKEN, intervalMs: 60_000 });
  readOnly = await startDashboard({ registry, port: 0, intervalMs: 60_000 });
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await board?.close();
  await readOnly?.close();
  await registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rollout actions on the dashboard page', () => {
  it('shows the rollout without action buttons on a read-only dashboard', async () => {
    await page.goto(readOnly.url);
    await expect.poll(rolloutRows, { timeout: 10_000 }).toEqual([
      'Rollout|Service / stage|State|Share|Next step|Last decision',
      expect.stringMatching(/^pricing-v2\|shop\.Pricing \/ canary\|running\|5 % \(step 1 of 3\)\|25 %\|start: started at 5%/),
    ]);
    expect(await buttons()).toEqual([]);
  });

  it('with a token, offers only the actions of the state; Pause asks first, and cancelling changes nothing', async () => {
    await page.goto(board.url);
    await expect.poll(buttons, { timeout: 10_000 }).toEqual([`Pause ${NAME}`, `Roll back ${NAME}`]);
    expect((await rolloutRows())[0]).toBe('Rollout|Service / stage|State|Share|Next step|Last decision|Action');
    const before = disk();

    await page.getByRole('button', { name: `Pause ${NAME}` }).click();
    expect(await page.locator('#confirm').evaluate(isOpen)).toBe(true);
    expect(await page.locator('#confirm-text').textContent()).toBe(`Pause ${WHAT}? Its share stays at 5 % and it does not advance until resumed.`);
    await page.locator('#confirm-cancel').click();
    expect(await page.locator('#confirm').evaluate(isOpen)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(disk()).toEqual(before);
    expect(changes).toEqual([]);
    expect((await rolloutRows())[1]).toContain('|running|');
  });

  it('shows the server\'s refusal without the token, and changes nothing', async () => {
    const before = disk();
    await page.getByRole('button', { name: `Pause ${NAME}` }).click();
    await page.locator('#confirm-ok').click();
    await expect.poll(() => page.locator('#announce').textContent()).toBe('Refused: wrong or missing token');
    expect(disk()).toEqual(before);
    expect(changes).toEqual([]);
  });

  it('confirming by keyboard pauses the record once; the row shows paused and offers Resume without a reload', async () => {
    await page.locator('#token').fill(TOKEN);
    await page.getByRole('button', { name: `Pause ${NAME}` }).focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('#confirm').evaluate(isOpen)).toBe(true);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#announce').textContent()).toBe(`Paused ${WHAT}.`);
    expect(stored()).toMatchObject({ state: 'paused', percent: 5, decision: { action: 'pause', reason: 'paused from the dashboard' } });
    await expect.poll(() => rolloutRows(), { timeout: 5000 }).toEqual([
      expect.any(String), expect.stringMatching(/^pricing-v2\|shop\.Pricing \/ canary\|paused\|5 % \(step 1 of 3\)\|25 %\|pause: paused from the dashboard .*\|Resume pricing-v2 Roll back pricing-v2$/),
    ]);
    expect(await buttons()).toEqual([`Resume ${NAME}`, `Roll back ${NAME}`]);
    // The Pause button is gone: the keyboard stays in the row, on Resume.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(`Resume ${NAME}`);
    expect(changes.map((c) => c?.state)).toEqual(['paused']);
  });

  it('the page logs no error but the refused request', async () => {
    expect(pageErrors.filter((e) => !/status of 401 \(Unauthorized\)/.test(e))).toEqual([]);
  });
});
