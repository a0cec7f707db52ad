/**
 * `graylane rollout …` as a user runs it (the real CLI in a child process) against a file registry and
 * a real etcd, with a replica's controller in this process driving what the CLI started.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdRegistry, createFileRegistry, type FileGrayRegistry } from 'graylane/routing';
import { createRollout } from 'graylane/rollout';
import { etcdAvailable, startEtcd } from '../helpers/etcd.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const exec = promisify(execFile);

/** Runs the CLI; resolves with its exit code and output. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'rollout', ...args], { cwd: ROOT, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function waitFor(check: () => boolean, maxMs = 5000): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  while (!check() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return check();
}

describe('graylane rollout (file registry)', () => {
  let dir: string;
  let path: string;
  let registry: FileGrayRegistry;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'graylane-cli-rollout-'));
    path = join(dir, 'registry.json');
    writeFileSync(path, JSON.stringify({ instances: [], rules: { 'shop.Price': { disabledStages: ['canary'] } } }));
    registry = createFileRegistry(path, { debounceMs: 5, pollIntervalMs: 50 });
  });
  afterAll(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('start writes the ramp (and re-enables the stage), a replica drives it, status/pause/resume/abort read and change it', async () => {
    const started = await cli('start', 'pricing-v2', '--registry', path, '--service', 'shop.Price', '--steps', '10,50,100', '--dwell', '2s', '--min-calls', '0');
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/rollout pricing-v2\n {2}state: {5}running\n {2}target: {4}shop\.Price \/ canary\n {2}step: {6}1 of 3, share 10%\n {2}ramp: {6}\[10%\] → 50% → 100%/);
    expect(started.stdout).toMatch(/last: +start .* by .* pid \d+: started at 10%/);
    expect(await waitFor(() => registry.getRollout('pricing-v2')?.percent === 10 && registry.getService('shop.Price').rules.disabledStages.length === 0)).toBe(true);

    const replica = createRollout({ registry, name: 'pricing-v2', service: 'shop.Price', minDwellMs: 1, tickMs: 20, reportMs: 50 });
    replica.join();
    try {
      expect(await waitFor(() => registry.getRollout('pricing-v2')?.step === 1, 10_000)).toBe(true);
      const paused = await cli('pause', 'pricing-v2', '--registry', path, '--reason', 'waiting for the marketing launch');
      expect(paused.code, paused.stderr).toBe(0);
      expect(paused.stdout).toMatch(/state: +paused[\s\S]*step: +2 of 3, share 50%[\s\S]*last: +pause .*: waiting for the marketing launch/);
      await new Promise((r) => setTimeout(r, 2500)); // longer than the dwell: a paused ramp does not advance
      expect(registry.getRollout('pricing-v2')).toMatchObject({ state: 'paused', step: 1 });

      const status = await cli('status', 'pricing-v2', '--registry', path, '--json');
      expect(JSON.parse(status.stdout)).toMatchObject({ name: 'pricing-v2', record: { state: 'paused', percent: 50, steps: [10, 50, 100] } });
      expect((await cli('resume', 'pricing-v2', '--registry', path)).stdout).toMatch(/state: +running[\s\S]*next step:/);
      const aborted = await cli('abort', 'pricing-v2', '--registry', path, '--reason', 'checkout errors in the dashboard');
      expect(aborted.stdout).toMatch(/state: +aborted[\s\S]*share 0%[\s\S]*last: +abort .*: checkout errors in the dashboard/);
      expect(await waitFor(() => registry.getService('shop.Price').rules.disabledStages.includes('canary'))).toBe(true);
      // Not applicable now: exit 1 with the reason, and the status.
      const again = await cli('resume', 'pricing-v2', '--registry', path);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/cannot resume 'pricing-v2' while it is aborted/);
    } finally {
      await replica.close();
    }
  }, 60_000);

  it('refuses an invalid spec and unknown rollouts with what to fix', async () => {
    const bad = await cli('start', 'r2', '--registry', path, '--service', 'shop.Price', '--steps', '5,1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/steps must increase: steps\[1\] \(1\) is not above steps\[0\] \(5\)/);
    const zero = await cli('start', 'r2', '--registry', path, '--service', 'shop.Price', '--dwell', '0');
    expect(zero.stderr).toMatch(/minDwellMs is 0/);
    const missing = await cli('pause', 'nope', '--registry', path);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no rollout 'nope'/);
    expect((await cli('status', 'nope', '--registry', path)).stdout).toMatch(/no record in the registry/);
    expect((await cli('launch', 'x', '--registry', path)).code).toBe(2);
  }, 60_000);
});

describe.skipIf(!etcdAvailable())('graylane rollout (etcd registry)', () => {
  it('start and status against etcd', async () => {
    const etcd = await startEtcd();
    const registry = createEtcdRegistry({ endpoints: etcd.endpoint, prefix: '/cli' });
    try {
      await registry.ready();
      const started = await cli('start', 'ramp', '--registry', etcd.endpoint, '--prefix', '/cli', '--service', 'hop', '--steps', '1,100', '--dwell', '1h');
      expect(started.code, started.stderr).toBe(0);
      expect(await waitFor(() => registry.getRollout('ramp')?.percent === 1)).toBe(true);
      const status = await cli('status', 'ramp', '--registry', etcd.endpoint, '--prefix', '/cli');
      expect(status.stdout).toMatch(/state: +running[\s\S]*share 1%[\s\S]*min dwell 60 min 0 s[\s\S]*next step: +in \d+ min \d+ s at the earliest/);
    } finally {
      await registry.close();
      await etcd.close();
    }
  }, 60_000);
});
