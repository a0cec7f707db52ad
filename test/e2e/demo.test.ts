import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm run demo', () => {
  it('sends mixed traffic through three hops and loses no tag', async () => {
    const { stdout } = await run('npx', ['tsx', 'examples/chain/demo.ts', '--requests', '150', '--json'], { timeout: 60_000 });
    const report = JSON.parse(stdout) as { requests: number; hopsChecked: number; tagsLost: number; perHop: Record<string, number> };
    expect(report.requests).toBe(150);
    expect(report.hopsChecked).toBe(450);
    expect(report.tagsLost).toBe(0);
    // Every hop saw canary traffic as canary and nothing else as canary.
    for (const hop of ['orders', 'inventory', 'pricing']) {
      expect(report.perHop[`${hop}|canary|canary`]).toBe(50);
      expect(report.perHop[`${hop}|untagged|stable`]).toBe(50);
      expect(report.perHop[`${hop}|stable|canary`]).toBeUndefined();
    }
  });
});
