/** The README's quick start is real: it is examples/quickstart.ts verbatim, and it runs. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('README quick start', () => {
  it('is examples/quickstart.ts verbatim', () => {
    const readme = readFileSync('README.md', 'utf8');
    const block = /<!-- quickstart:begin -->\n```ts\n([\s\S]*?)```\n<!-- quickstart:end -->/.exec(readme);
    expect(block).not.toBeNull();
    expect(block![1]).toBe(readFileSync('examples/quickstart.ts', 'utf8'));
  });

  it('runs and shows the stage at both hops', async () => {
    const { stdout } = await run('npx', ['tsx', 'examples/quickstart.ts'], { timeout: 60_000 });
    expect(stdout).toContain('front=canary → back=canary');
    expect(stdout).toContain("{ 'x-release-stage': 'canary' }");
  });

  it('shows the examples/ files its code blocks name, verbatim (npm run docs)', async () => {
    await expect(run('node', ['scripts/readme.mjs', '--check'], { timeout: 30_000 })).resolves.toBeDefined();
  });

  it('documents only npm scripts that exist', () => {
    const readme = readFileSync('README.md', 'utf8');
    const scripts = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts);
    for (const [, name] of readme.matchAll(/npm run ([a-z:-]+)/g)) expect(scripts).toContain(name);
  });
});
