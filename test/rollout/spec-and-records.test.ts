/**
 * createRollout refuses invalid specs with a GrayConfigError that says what to fix; the file
 * registry keeps the last good rollout record when one is corrupted (and reports it); pause,
 * resume and abort act through the registry; one file-registry campaign leads at a time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GrayConfigError } from 'graylane';
import { createFileRegistry, type FileGrayRegistry } from 'graylane/routing';
import { createRollout, formatRolloutStatus, rolloutPercentIn, type RolloutOptions } from 'graylane/rollout';

async function waitFor(check: () => boolean, maxMs = 5000): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  while (!check() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return check();
}

let dir: string;
let path: string;
let registry: FileGrayRegistry;
const errors: Error[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'graylane-rollout-spec-'));
  path = join(dir, 'registry.json');
  writeFileSync(path, JSON.stringify({ instances: [] }));
  errors.length = 0;
  registry = createFileRegistry(path, { debounceMs: 5, pollIntervalMs: 50, onError: (e) => errors.push(e) });
});
afterEach(async () => {
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('createRollout: invalid specs', () => {
  const base = (): RolloutOptions => ({ registry, name: 'r', service: 'hop', steps: [1, 5, 100], minDwellMs: 1000 });
  it.each([
    ['non-increasing steps', { steps: [1, 25, 5, 100] }, /steps must increase: steps\[2\] \(5\) is not above steps\[1\] \(25\)/],
    ['a repeated step', { steps: [5, 5] }, /steps must increase/],
    ['a step above 100 %', { steps: [50, 150] }, /steps\[1\] is 150; every step must be a percentage above 0 and at most 100/],
    ['a zero step', { steps: [0, 50] }, /steps\[0\] is 0/],
    ['no steps', { steps: [] }, /steps must be a list of 1 to 20 percentages/],
    ['a zero dwell', { minDwellMs: 0 }, /minDwellMs is 0; every step needs a dwell time/],
    ['a negative dwell', { minDwellMs: -5 }, /minDwellMs must be a number > 0/],
    ['fractional minCalls', { minCalls: 1.5 }, /minCalls must be a whole number >= 0/],
    ['an error rate given in percent', { analysis: { maxErrorRate: 5 } }, /maxErrorRate is a fraction below 1/],
    ['a bad name', { name: '../etc' }, /rollout name "..\/etc" is not valid/],
    ['a prototype name', { name: '__proto__' }, /rollout name "__proto__" is not valid/],
    ['a bad stage', { stage: 'Canary!' }, /stage "Canary!" is not valid/],
    ['a registry that stores no rollouts', { registry: { getService() {} } }, /registry` must store rollouts/],
    ['a check that is not a function', { check: 'yes' }, /check must be a function/],
  ])('refuses %s', (_label, patch, message) => {
    const make = (): unknown => createRollout({ ...base(), ...(patch as object) } as RolloutOptions);
    expect(make).toThrow(GrayConfigError);
    expect(make).toThrow(message);
  });
});

describe('rollout records in a file registry', () => {
  it('a corrupted record keeps the last good state and is reported; the edge keeps its share', async () => {
    const r = createRollout({ registry, name: 'r', service: 'hop', steps: [10, 50, 100], minDwellMs: 60_000 });
    await r.start();
    await r.close();
    const share = rolloutPercentIn(registry);
    expect(share('r')).toBe(10);
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { instances: unknown[]; rollouts: Record<string, Record<string, unknown>> };
    doc.rollouts.r!.percent = 'everyone';
    doc.instances = [{ service: 'hop', address: '127.0.0.1:1', stage: 'stable' }];
    writeFileSync(path, JSON.stringify(doc));
    expect(await registry.reload()).toBe(true); // the rest of the file applies
    expect(registry.getService('hop').instances).toHaveLength(1);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/rollouts\.r: percent must be a number from 0 to 100\. Keeping the last good record \(step 0, 10%\)/);
    expect(registry.getRollout('r')).toMatchObject({ percent: 10, state: 'running' });
    expect(share('r')).toBe(10);
    expect(r.status().problem).toMatch(/Keeping the last good record/);
    expect(formatRolloutStatus('r', registry.getRollout('r'), { problem: r.status().problem })).toMatch(/PROBLEM: +graylane: rollouts\.r: percent must be/);
    // A section that is not an object at all: reported, records kept.
    writeFileSync(path, JSON.stringify({ ...doc, rollouts: [1, 2] }));
    await registry.reload();
    expect(errors.at(-1)?.message).toMatch(/"rollouts" must be an object keyed by rollout name/);
    expect(share('r')).toBe(10);
    // The next write starts from the last good record and repairs the file.
    writeFileSync(path, JSON.stringify(doc));
    await registry.reload();
    expect(await r.pause('operator hold')).toMatchObject({ state: 'paused', percent: 10, decision: { action: 'pause', reason: 'operator hold' } });
    expect((JSON.parse(readFileSync(path, 'utf8')) as typeof doc).rollouts.r!.percent).toBe(10);
    expect(registry.getRolloutError('r')).toBeUndefined();
  });

  it('hostile record names (prototype names, paths) are refused and reported; nothing reaches a prototype', async () => {
    const good = { service: 'hop', stage: 'canary', steps: [5, 100], step: 0, percent: 5, state: 'running', minDwellMs: 1000, minCalls: 0, startedAt: 1, stepStartedAt: 1, updatedAt: 1 };
    writeFileSync(path, `{"instances": [], "rollouts": {"__proto__": ${JSON.stringify(good)}, "constructor": ${JSON.stringify(good)}, "a/b": ${JSON.stringify(good)}, "ok": ${JSON.stringify(good)}}}`);
    expect(await registry.reload()).toBe(true);
    expect(registry.listRollouts()).toEqual(['__proto__', 'a/b', 'constructor', 'ok']); // listed (as reported problems), never as records
    expect(['__proto__', 'constructor', 'a/b'].map((n) => registry.getRollout(n))).toEqual([undefined, undefined, undefined]);
    expect(registry.getRolloutError('__proto__')?.message).toMatch(/rollout name "__proto__" is not valid/);
    expect(registry.getRollout('ok')).toMatchObject({ percent: 5 });
    expect(({} as Record<string, unknown>).percent).toBeUndefined();
    expect(rolloutPercentIn(registry)('__proto__')).toBe(0);
    await expect(registry.updateRollout('__proto__', () => undefined)).rejects.toThrow(GrayConfigError);
  });

  it('pause holds the share, resume restarts the dwell, abort disables the stage and takes the share to 0', async () => {
    const other = createFileRegistry(path, { debounceMs: 5, pollIntervalMs: 50 });
    try {
      const r = createRollout({ registry, name: 'ops', service: 'hop', steps: [20, 100], minDwellMs: 60_000 });
      const events: string[] = [];
      for (const e of ['paused', 'resumed', 'aborted']) r.on(e, () => events.push(e));
      await r.start();
      expect(await r.pause()).toMatchObject({ state: 'paused', percent: 20 });
      expect(await waitFor(() => other.getRollout('ops')?.state === 'paused')).toBe(true);
      expect(rolloutPercentIn(other)('ops')).toBe(20); // a paused ramp keeps its share
      const resumed = await r.resume();
      expect(resumed).toMatchObject({ state: 'running', percent: 20 });
      expect(resumed!.stepStartedAt).toBeGreaterThanOrEqual(resumed!.decision!.at);
      const aborted = await r.abort('bad numbers on the dashboard');
      expect(aborted).toMatchObject({ state: 'aborted', percent: 0, decision: { action: 'abort', reason: 'bad numbers on the dashboard' } });
      expect(await waitFor(() => other.getService('hop').rules.disabledStages.includes('canary') && rolloutPercentIn(other)('ops') === 0)).toBe(true);
      expect(await r.resume()).toMatchObject({ state: 'aborted' }); // an aborted ramp does not resume: start a new one
      expect(await waitFor(() => events.length === 3)).toBe(true);
      expect(events).toEqual(['paused', 'resumed', 'aborted']);
      // A new start re-enables the stage.
      expect(await r.start()).toMatchObject({ state: 'running', step: 0, percent: 20 });
      expect(await waitFor(() => !other.getService('hop').rules.disabledStages.includes('canary'))).toBe(true);
      await r.close();
    } finally {
      await other.close();
    }
  });

  it('one campaign leads a file-registry rollout at a time; resigning hands the lead over', async () => {
    const other = createFileRegistry(path, { debounceMs: 5, pollIntervalMs: 50 });
    const leads: string[] = [];
    const a = registry.campaignRollout('lead', { onElected: () => leads.push('a'), onLost: () => leads.push('a lost') }, { ttlSeconds: 0.3 });
    expect(await waitFor(() => a.leader)).toBe(true);
    const b = other.campaignRollout('lead', { onElected: () => leads.push('b'), onLost: () => leads.push('b lost') }, { ttlSeconds: 0.3 });
    await new Promise((r) => setTimeout(r, 700)); // over two TTLs: the live leader keeps its lock fresh
    expect([a.leader, b.leader]).toEqual([true, false]);
    await a.resign();
    expect(await waitFor(() => b.leader, 2000)).toBe(true);
    expect(leads).toEqual(['a', 'b']);
    await b.resign();
    await other.close();
  });
});
