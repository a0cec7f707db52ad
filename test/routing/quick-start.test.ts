import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdAvailable, startEtcd, type EtcdServer } from '../helpers/etcd.js';

const docs = readFileSync(new URL('../../docs/routing.md', import.meta.url), 'utf8');
const example = (name: string): string => readFileSync(new URL(`./quick-start/${name}`, import.meta.url), 'utf8');
/** The ```ts block that follows `<!-- quick-start: name -->` in docs/routing.md. */
function docBlock(name: string): string {
  const match = new RegExp(`<!-- quick-start: ${name} -->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(docs);
  if (match === null) throw new Error(`docs/routing.md has no quick-start block ${name}`);
  return match[1]!;
}
/** Runs a quick-start file as a newcomer would (tsx, ESM), and returns its output. */
function run(name: string, env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, ['--import', 'tsx', `test/routing/quick-start/${name}`], {
    cwd: process.cwd(), encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env },
  });
}

describe('docs/routing.md quick start (the docs show exactly these files; tsc checks them)', () => {
  it('file registry: the documented code routes a canary call to the canary', () => {
    expect(docBlock('file-registry.ts')).toBe(example('file-registry.ts'));
    const out = run('file-registry.ts');
    expect(out).toContain("canary call -> { instance: 'demo-canary-1', stage: 'canary' }");
    expect(out).toContain("plain call  -> { instance: 'demo-stable-1', stage: 'stable' }");
  });

  describe.skipIf(!etcdAvailable())('etcd', () => {
    let etcd: EtcdServer;
    beforeAll(async () => {
      etcd = await startEtcd();
    }, 30_000);
    afterAll(() => etcd?.close());

    it('etcd registry: register(instance) then a canary call reaches the canary', () => {
      expect(docBlock('etcd-registry.ts')).toBe(example('etcd-registry.ts'));
      const out = run('etcd-registry.ts', { ETCD_ENDPOINT: etcd.endpoint });
      expect(out).toContain("canary call -> { instance: 'demo-canary-1', stage: 'canary' }");
      expect(out).toContain("plain call  -> { instance: 'demo-stable-1', stage: 'stable' }");
    });
  });
});
