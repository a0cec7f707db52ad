/**
 * `graylane explain` as a child process: against a rules file (colored, untrusted, invalid, rollout
 * share), against a file registry (a named rollout's share, a disabled stage), and against the live
 * example shop with the hop trace (the stage and instance of every hop, and a fallback's reason).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolloutBucket } from 'graylane';
import { createRollout } from 'graylane/rollout';
import { createFileRegistry } from 'graylane/routing';
import { QA_TOKEN } from '../../examples/shop/gateway.js';
import { startShop, type Shop } from '../../examples/shop/shop.js';

const run = promisify(execFile);
const cli = (...args: string[]) => run('npx', ['tsx', 'src/cli/index.ts', 'explain', ...args], { timeout: 60_000 })
  .then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'graylane-explain-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function userWhere(inside: boolean, salt: string, threshold: number): string {
  for (let i = 0; ; i++) if ((rolloutBucket(salt, `u-${i}`) < threshold) === inside) return `u-${i}`;
}

describe('graylane explain --rules (one request, decided locally)', () => {
  let rules: string;
  beforeAll(() => {
    rules = join(dir, 'rules.json');
    writeFileSync(rules, JSON.stringify({ rules: [
      { name: 'qa', stage: 'canary', match: { header: 'x-user-group', equals: 'qa' } },
      { name: '20% of users', stage: 'canary', rollout: { percent: 20, header: 'x-user-id', salt: 'shop' } },
    ] }));
  });

  it('names the rule that colored the request', async () => {
    const r = await cli('--rules', rules, '--header', 'x-user-group=qa');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stage:     canary\n');
    expect(r.stdout).toContain("decision:  colored — rule #0 'qa' colored it canary");
  });

  it('a stage sent without the token: untrusted, with every rule and the rollout bucket vs threshold', async () => {
    const user = userWhere(false, 'shop', 2000);
    const r = await cli('--rules', rules, '--header', 'x-release-stage=canary', '--header', `x-user-id=${user}`, '--trust-token', 'secret');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stage:     stable (default)');
    expect(r.stdout).toMatch(/decision: {2}untrusted — x-release-stage: "canary" was sent without trust/);
    expect(r.stdout).toContain(`#1 '20% of users' → canary: rollout-out — rollout: bucket ${rolloutBucket('shop', user)} is not below 2000 (share 20%)`);
  });

  it("a trusted but malformed stage: invalid, with the policy's reason; the token is never echoed", async () => {
    const r = await cli('--rules', rules, '--trust-token', 'secret', '--header', 'x-gray-token=secret', '--header', 'x-release-stage=canary!', '--json');
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e).toMatchObject({ stage: 'stable', decision: 'invalid', rejected: [{ key: 'x-release-stage', reason: 'bad-characters' }] });
    const text = await cli('--rules', rules, '--trust-token', 'secret', '--header', 'x-gray-token=secret');
    expect(text.stdout).not.toContain('secret');
  });

  it('bad input: a malformed rules file is refused with exit 2 and what to fix', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ stage: 'Canary' }]));
    const r = await cli('--rules', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/coloring rule #0: stage "Canary" is not a valid stage/);
  });
});

describe('graylane explain --registry (a file registry: rollout share, disabled stage)', () => {
  it("reads a named rollout's share, then reports the stage disabled in the registry", async () => {
    const file = join(dir, 'registry.json');
    writeFileSync(file, JSON.stringify({ instances: [], rules: {} }));
    const rules = join(dir, 'ramp.json');
    writeFileSync(rules, JSON.stringify([{ name: 'ramp', stage: 'canary', rollout: { rollout: 'pricing-v2', header: 'x-user-id' } }]));
    const registry = createFileRegistry(file, { pollIntervalMs: 0 });
    try {
      await createRollout({ registry, name: 'pricing-v2', service: 'pricing', steps: [5, 50, 100], minDwellMs: 60_000 }).start({ join: false });
      const user = userWhere(true, 'canary', 500);
      const colored = JSON.parse((await cli('--rules', rules, '--registry', file, '--header', `x-user-id=${user}`, '--json')).stdout);
      expect(colored).toMatchObject({ decision: 'colored', stage: 'canary', coloring: { rule: { name: 'ramp', rollout: { rollout: 'pricing-v2', threshold: 500, bucket: rolloutBucket('canary', user) } } } });

      await registry.setStageDisabled('pricing', 'canary', true);
      const r = await cli('--rules', rules, '--registry', file, '--header', `x-user-id=${user}`);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("decision:  stage-disabled — rule #0 'ramp' matched but stage 'canary' is disabled: stays stable");
    } finally {
      await registry.close();
    }
  });
});

describe('graylane explain <live target> (the shop, with the hop trace)', () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop();
  });
  afterAll(async () => {
    await shop.stop();
  });

  it('HTTP edge: the stage and instance of every hop; a disabled canary shows as a fallback with its reason', async () => {
    const url = `${shop.gateway.url}/orders`;
    const qa = ['--header', `x-gray-token=${QA_TOKEN}`, '--header', 'x-release-stage=canary'];
    const ok = await cli(url, ...qa, '--registry', shop.registryPath!);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('status: HTTP 200');
    // orders has no canary instance: the canary call falls back to the stable one, and says why.
    expect(ok.stdout).toContain("  orders (orders-1) stage=canary  fallback: no 'canary' instance of orders in the registry (calls fall back to the default stage)\n");
    expect(ok.stdout).toContain('    inventory (inventory-canary) stage=canary\n');
    expect(ok.stdout).toContain('      pricing (pricing-canary) stage=canary\n');

    await shop.registry.setStageDisabled('pricing', 'canary', true);
    try {
      // Routing follows the registry: wait (bounded) until the balancer left the canary pricing.
      let r = await cli(url, ...qa, '--registry', shop.registryPath!, '--json');
      for (let i = 0; i < 20 && !r.stdout.includes('"instance": "pricing-1"'); i++) r = await cli(url, ...qa, '--registry', shop.registryPath!, '--json');
      const out = JSON.parse(r.stdout);
      expect(out.hops.map((h: { service: string; instance: string; stage: string }) => `${h.service}:${h.instance}:${h.stage}`))
        .toEqual(['orders:orders-1:canary', 'inventory:inventory-canary:canary', 'pricing:pricing-1:canary']);
      expect(out.hops[2].fallback).toBe("stage 'canary' is disabled for pricing in the registry (calls fall back to the default stage)");
      expect(out.hops[1].fallback).toBeUndefined();
      expect(out.hops[0].fallback).toMatch(/^no 'canary' instance of orders/);
    } finally {
      await shop.registry.setStageDisabled('pricing', 'canary', false);
    }
  });

  it('gRPC target, and the edge decision from --rules beside the live path', async () => {
    const orders = shop.instances.find((i) => i.service === 'orders')!.address;
    const r = await cli(orders, '--method', '/graylane.shop.v1.Orders/PlaceOrder', '--header', 'x-release-stage=canary');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('status: OK');
    expect(r.stdout).toContain('      pricing (pricing-canary) stage=canary');
    const rules = join(dir, 'shop-rules.json');
    writeFileSync(rules, JSON.stringify([{ name: 'canary-20pct', stage: 'canary', rollout: { percent: 20, header: 'x-user-id', salt: 'shop-2026' } }]));
    const user = userWhere(true, 'shop-2026', 2000);
    const both = await cli(`${shop.gateway.url}/orders`, '--rules', rules, '--header', `x-user-id=${user}`);
    expect(both.stdout).toContain("decision:  colored — rule #0 'canary-20pct' colored it canary");
    expect(both.stdout).toContain('  orders (orders-1) stage=canary');
  });
});
