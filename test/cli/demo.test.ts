/**
 * `graylane demo` is not part of the published CLI (the shop and its frameworks stay in the
 * repository): the command says where the demo runs and fails, so a script relying on it notices.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('graylane demo', () => {
  it('prints one line pointing at `npm run demo` in the repository and exits non-zero', async () => {
    const failed = await run('npx', ['tsx', 'src/cli/index.ts', 'demo', '--requests', '40'], { timeout: 60_000 })
      .then(() => undefined, (e: { code: number; stdout: string; stderr: string }) => e);
    expect(failed).toBeDefined();
    expect(failed!.code).toBe(2);
    expect(failed!.stdout).toBe('');
    expect(failed!.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^graylane demo: .*repository.*`npm run demo`/)]);
  });

  it('help no longer offers demo, and still documents trace', async () => {
    const { stdout } = await run('npx', ['tsx', 'src/cli/index.ts', 'help'], { timeout: 60_000 });
    expect(stdout).toContain('graylane trace <host:port> --method');
    expect(stdout).not.toMatch(/graylane demo/);
  });
});
