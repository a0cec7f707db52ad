/** examples/nestjs is real: the gateway/pricing pair runs (under tsx, no decorator metadata) and shows the stage at each hop. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('examples/nestjs', () => {
  it('a trusted canary is canary at the gateway, at pricing and in the batched audit; an untrusted one is stable', async () => {
    const { stdout } = await run('npx', ['tsx', '--tsconfig', 'examples/nestjs/tsconfig.json', 'examples/nestjs/main.ts', '--json'], { timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
      'no stage': { gateway: 'stable', pricing: 'stable', audit: 'stable' },
      'canary, untrusted': { gateway: 'stable', pricing: 'stable', audit: 'stable' },
      'canary, trusted': { gateway: 'canary', pricing: 'canary', audit: 'canary' },
    });
  }, 90_000);
});
