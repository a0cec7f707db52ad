import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceCall } from '../../src/cli/trace.js';
import { QA_TOKEN } from '../../examples/shop/gateway.js';
import { startShop, type Shop } from '../../examples/shop/shop.js';

const run = promisify(execFile);
let shop: Shop;
beforeAll(async () => {
  shop = await startShop();
});
afterAll(async () => {
  await shop.stop();
});

const orders = () => shop.instances.find((i) => i.service === 'orders')!.address;
const PLACE_ORDER = '/graylane.shop.v1.Orders/PlaceOrder';

describe('graylane trace against the running shop', () => {
  it('gRPC: the canary path, hop by hop', async () => {
    const result = await traceCall({ target: orders(), method: PLACE_ORDER, stage: 'canary' });
    expect(result.ok).toBe(true);
    expect(result.mismatched).toBe(0);
    expect(result.trace.status === 'ok' && result.trace.hops.map((h) => `${h.depth}:${h.service}:${h.instance}:${h.stage}`)).toEqual([
      '0:orders:orders-1:canary', '1:inventory:inventory-canary:canary', '2:pricing:pricing-canary:canary',
    ]);
  });

  it('gRPC: a stable call stays on stable instances', async () => {
    const result = await traceCall({ target: orders(), method: PLACE_ORDER, stage: 'stable' });
    expect(result.trace.status === 'ok' && result.trace.hops.map((h) => h.instance)).toEqual(['orders-1', expect.stringMatching(/^inventory-[12]$/), 'pricing-1']);
  });

  it('HTTP edge: a stage without the QA token is ignored, with it the path is canary', async () => {
    const spoofed = await traceCall({ target: `${shop.gateway.url}/orders`, stage: 'canary' });
    expect(spoofed.trace.status === 'ok' && spoofed.trace.hops.every((h) => h.stage === 'stable')).toBe(true);
    expect(spoofed.mismatched).toBe(3);
    const qa = await traceCall({ target: `${shop.gateway.url}/orders`, stage: 'canary', headers: { 'x-gray-token': QA_TOKEN } });
    expect(qa.mismatched).toBe(0);
    expect(qa.trace.status === 'ok' && qa.trace.hops).toHaveLength(3);
  });

  it('the CLI prints the path and exits 0; exits 1 when a hop lost the tag', async () => {
    const { stdout } = await run('npx', ['tsx', 'src/cli/index.ts', 'trace', orders(), '--method', PLACE_ORDER, '--stage', 'canary'], { timeout: 60_000 });
    expect(stdout.split('\n')[1]).toBe('status: OK');
    expect(stdout).toContain('inventory (inventory-canary) stage=canary');
    expect(stdout).toContain('path: 3 hops, stage canary at every hop');
    const spoofed = await run('npx', ['tsx', 'src/cli/index.ts', 'trace', `${shop.gateway.url}/orders`], { timeout: 60_000 }).catch((e: { code: number; stdout: string }) => e);
    expect((spoofed as { code: number }).code).toBe(1);
    expect((spoofed as { stdout: string }).stdout).toContain('← tag lost');
  });

  it('an unknown method fails with its status and no invented path', async () => {
    const result = await traceCall({ target: orders(), method: '/graylane.shop.v1.Orders/Missing', stage: 'canary' });
    expect(result.ok).toBe(false);
    expect(result.status).toMatch(/UNIMPLEMENTED/);
    expect(result.trace.status).toBe('absent');
  });
});
