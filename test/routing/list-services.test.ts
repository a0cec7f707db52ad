import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileRegistry, createStaticRegistry } from '../../src/routing/index.js';

// listServices(): what a tool showing the registry (the dashboard) lists. The etcd registry's is
// tested against a real etcd in etcd-registry.test.ts.
describe('registry listServices()', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graylane-list-services-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('static: services with instances or rules, sorted, following changes', () => {
    const registry = createStaticRegistry(
      [{ service: 'shop.Pricing', address: '127.0.0.1:1', stage: 'stable' }, { service: 'shop.Cart', address: '127.0.0.1:2', stage: 'canary' }],
      { 'shop.Orders': { fallback: 'strict' } },
    );
    expect(registry.listServices!()).toEqual(['shop.Cart', 'shop.Orders', 'shop.Pricing']);
    registry.setInstances([{ service: 'shop.Pricing', address: '127.0.0.1:1', stage: 'stable' }]);
    expect(registry.listServices!()).toEqual(['shop.Orders', 'shop.Pricing']);
    expect(registry.getService('shop.Cart').instances).toEqual([]);
  });

  it('file: the services of the file, after an edit too; a name never read is not listed', async () => {
    const path = join(dir, 'registry.json');
    writeFileSync(path, JSON.stringify({ instances: [{ service: 'a.B', address: '127.0.0.1:1', stage: 'stable' }], rules: { 'c.D': { disabledStages: ['canary'] } } }));
    const registry = createFileRegistry(path, { pollIntervalMs: 0 });
    try {
      registry.getService('never.Seen');
      expect(registry.listServices!()).toEqual(['a.B', 'c.D']);
      writeFileSync(path, JSON.stringify({ instances: [{ service: 'e.F', address: '127.0.0.1:1', stage: 'stable' }] }));
      await registry.reload();
      expect(registry.listServices!()).toEqual(['e.F']);
    } finally {
      await registry.close();
    }
  });
});
