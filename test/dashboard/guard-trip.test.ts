/**
 * The dashboard through a real rollback: injected canary errors turn the canary's error ratio red on
 * the page; a real rollback guard (createRollbackGuard on the fleet's file registry, fed by the fleet's
 * grpc-js client interceptor) then trips, and the page shows the stage disabled and the canary calls
 * on the fallback edge — no dashboard action involved.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGuardScene, type GuardScene } from './guard-scene.js';

let scene: GuardScene;

beforeAll(async () => {
  scene = await startGuardScene();
}, 120_000);

afterAll(async () => {
  await scene?.close();
});

describe('graylane dashboard when the rollback guard trips', () => {
  it('shows the healthy lanes, then the canary errors over the limit before the guard trips', async () => {
    await scene.healthy();
    await scene.errors();
    expect(scene.fleet.guard!.state).not.toBe('tripped');
    expect(await scene.stageRow('shop.Pricing', 'stable')).toMatch(/\|0\.00 %\|.*\|OK\|/);
  }, 60_000);

  it('after the guard trips, shows the canary disabled and its calls on the fallback edge', async () => {
    await scene.tripped();
    const doc = JSON.parse(readFileSync(scene.fleet.registryPath, 'utf8')) as { rules?: Record<string, { disabledStages?: string[] }> };
    expect(doc.rules?.['shop.Pricing']?.disabledStages).toEqual(['canary']);
    expect(await scene.stageRow('shop.Pricing', 'canary')).toMatch(/\|Disabled\|/);
    await expect.poll(() => scene.page.locator('#rules tbody').textContent(), { timeout: 10_000 }).toContain('shop.Pricingpermissivenonecanary');
    expect(scene.pageErrors).toEqual([]);
  }, 60_000);
});
