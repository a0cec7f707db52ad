import { describe, expect, it, vi } from 'vitest';
import { GrayConfigError } from '../../src/core/errors.js';
import { createRollbackGuard, type RollbackTarget, type RollbackTripEvent } from '../../src/observe/rollback-guard.js';
import { p99Exceeds, p99Rank, SampleWindow } from '../../src/observe/sample-window.js';
import fc from 'fast-check';

/** A minimal registry: records every setStageDisabled call. */
function fakeRegistry(): RollbackTarget & { calls: Array<[string, string, boolean]> } {
  const calls: Array<[string, string, boolean]> = [];
  return { calls, async setStageDisabled(service, stage, disabled) { calls.push([service, stage, disabled]); } };
}

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('rollback guard', () => {
  it('trips on an error rate above 0.5 % once minSamples calls are in the window', async () => {
    const registry = fakeRegistry();
    const c = clock();
    const warnings: string[] = [];
    const trips: RollbackTripEvent[] = [];
    const guard = createRollbackGuard({ registry, service: 'shop', now: c.now, onTrip: (e) => trips.push(e), logger: { warn: (_f, m) => warnings.push(m), error: () => {} } });
    for (let i = 0; i < 18; i++) guard.record('canary', true, 10);
    guard.record('canary', false, 10);
    expect(guard.state).toBe('watching'); // 19 samples: below minSamples
    for (let i = 0; i < 50; i++) guard.record('stable', false, 10); // other stages are ignored
    expect(guard.state).toBe('watching');
    guard.record('canary', true, 10);
    expect(guard.state).toBe('tripped');
    expect(trips).toHaveLength(1);
    expect(trips[0]).toMatchObject({ service: 'shop', stage: 'canary', reason: 'error-rate', samples: 20, errors: 1, errorRate: 0.05 });
    expect(warnings[0]).toContain('error rate 5.00% > 0.50% over 20 calls in 30000 ms');
    await Promise.resolve();
    expect(registry.calls).toEqual([['shop', 'canary', true]]);
    guard.record('canary', false, 10); // ignored while tripped
    expect(trips).toHaveLength(1);
    const resumed = new Promise<void>((r) => guard.once('resume', r));
    await guard.resume();
    await resumed;
    expect(guard.state).toBe('watching');
    expect(registry.calls).toEqual([['shop', 'canary', true], ['shop', 'canary', false]]);
  });

  it('stays quiet at a healthy error rate, and forgets failures that left the window', () => {
    const registry = fakeRegistry();
    const c = clock();
    const guard = createRollbackGuard({ registry, service: 'shop', now: c.now, window: 10_000 });
    guard.record('canary', false, 10);
    c.advance(10_001); // the failure leaves the window
    for (let i = 0; i < 300; i++) guard.record('canary', true, 10);
    expect(guard.state).toBe('watching');
    // 1 failure in 301 is 0.33 % < 0.5 %.
    guard.record('canary', false, 10);
    expect(guard.state).toBe('watching');
    guard.record('canary', false, 10); // 2 / 302 = 0.66 %
    expect(guard.state).toBe('tripped');
  });

  it('trips on p99 latency above 2 s', () => {
    const registry = fakeRegistry();
    const c = clock();
    let trip: RollbackTripEvent | undefined;
    const guard = createRollbackGuard({ registry, service: 'shop', now: c.now });
    guard.on('trip', (e: RollbackTripEvent) => { trip = e; });
    for (let i = 0; i < 99; i++) guard.record('canary', true, 100);
    guard.record('canary', true, 2500); // 1 slow call in 100: p99 is still 100 ms
    expect(guard.state).toBe('watching');
    guard.record('canary', true, 2500); // 2 in 101: p99 is 2500 ms
    expect(guard.state).toBe('tripped');
    expect(trip).toMatchObject({ reason: 'p99-latency', p99Ms: 2500, samples: 101, errors: 0 });
  });

  it('reports a registry failure without throwing on the request path', async () => {
    const errors: unknown[] = [];
    const guard = createRollbackGuard({
      registry: { setStageDisabled: () => Promise.reject(new Error('etcd down')) }, service: 'shop', minSamples: 1, now: clock().now,
    });
    guard.on('registry-error', (e) => errors.push(e));
    expect(() => guard.record('canary', false, 1)).not.toThrow();
    await new Promise((r) => setImmediate(r));
    expect(String(errors[0])).toContain('etcd down');
  });

  it('retries a failed disable with backoff until the registry accepts it; resume stops the retries', async () => {
    vi.useFakeTimers();
    try {
      let failures = 2;
      const calls: boolean[] = [];
      const registry = {
        setStageDisabled: (_s: string, _st: string, disabled: boolean): Promise<void> => {
          calls.push(disabled);
          return disabled && failures-- > 0 ? Promise.reject(new Error('etcd down')) : Promise.resolve();
        },
      };
      const errors: unknown[] = [];
      const disabled: unknown[] = [];
      const guard = createRollbackGuard({ registry, service: 'shop', minSamples: 1, registryRetryMs: 100, now: clock().now });
      guard.on('registry-error', (e) => errors.push(e));
      guard.on('disabled', (e) => disabled.push(e));
      guard.record('canary', false, 1);
      await vi.advanceTimersByTimeAsync(0);
      expect(errors).toHaveLength(1);
      expect(guard.stageDisabled).toBe(false);
      await vi.advanceTimersByTimeAsync(99);
      expect(calls).toEqual([true]); // not before registryRetryMs
      await vi.advanceTimersByTimeAsync(1);
      expect(errors).toHaveLength(2); // second attempt failed too; the next waits 200 ms
      await vi.advanceTimersByTimeAsync(199);
      expect(calls).toEqual([true, true]);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toEqual([true, true, true]);
      expect(disabled).toEqual([{ attempts: 3 }]);
      expect(guard.stageDisabled).toBe(true);

      // A registry that never recovers: resume() cancels the pending retry and re-enables.
      failures = Infinity;
      guard.record('canary', true, 1); // ignored while tripped
      await guard.resume();
      expect(guard.state).toBe('watching');
      expect(guard.stageDisabled).toBe(false);
      guard.record('canary', false, 1);
      await vi.advanceTimersByTimeAsync(0);
      const before = calls.length;
      await guard.resume();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(calls.slice(before)).toEqual([false]); // no disable retried after resume
    } finally {
      vi.useRealTimers();
    }
  });

  it('a registry that throws synchronously, and throwing listeners, never reach the request path', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const errors: unknown[] = [];
      const guard = createRollbackGuard({
        registry: { setStageDisabled: () => { throw new Error('sync boom'); } }, service: 'shop', minSamples: 1, registryRetryMs: 0, now: clock().now,
      });
      guard.on('registry-error', (e) => {
        errors.push(e);
        throw new Error('listener boom');
      });
      expect(() => guard.record('canary', false, 1)).not.toThrow();
      await new Promise((r) => setTimeout(r, 20));
      expect(String(errors[0])).toContain('sync boom');
      const ok = createRollbackGuard({ registry: fakeRegistry(), service: 'shop', minSamples: 1, now: clock().now, onTrip: () => { throw new Error('hook boom'); } });
      ok.on('disabled', () => { throw new Error('listener boom'); });
      ok.on('trip', () => { throw new Error('trip listener boom'); });
      expect(() => ok.record('canary', false, 1)).not.toThrow();
      await new Promise((r) => setTimeout(r, 20));
      expect(ok.state).toBe('tripped');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('registryRetryMs: 0 reports a failure once and does not retry', async () => {
    vi.useFakeTimers();
    try {
      let attempts = 0;
      const guard = createRollbackGuard({
        registry: { setStageDisabled: () => (attempts++, Promise.reject(new Error('read-only'))) }, service: 'shop', minSamples: 1, registryRetryMs: 0, now: clock().now,
      });
      guard.on('registry-error', () => undefined);
      guard.record('canary', false, 1);
      await vi.advanceTimersByTimeAsync(120_000);
      expect(attempts).toBe(1);
      expect(guard.state).toBe('tripped');
    } finally {
      vi.useRealTimers();
    }
  });

  it('validates options at construction', () => {
    const registry = fakeRegistry();
    expect(() => createRollbackGuard({ service: 'x' } as never)).toThrow(GrayConfigError);
    expect(() => createRollbackGuard({ registry, service: '' })).toThrow(GrayConfigError);
    expect(() => createRollbackGuard({ registry, service: 'x', stage: 'Canary!' })).toThrow(GrayConfigError);
    expect(() => createRollbackGuard({ registry, service: 'x', maxErrorRate: 1.5 })).toThrow(GrayConfigError);
    expect(() => createRollbackGuard({ registry, service: 'x', window: 0 })).toThrow(GrayConfigError);
    expect(() => createRollbackGuard({ registry, service: 'x', registryRetryMs: -1 })).toThrow(/registryRetryMs/);
    expect(() => createRollbackGuard({ registry, service: 'x', minSamples: 50, capacity: 10 })).toThrow(GrayConfigError);
  });
});

describe('sample window', () => {
  it('p99Exceeds agrees with the sorted nearest-rank p99', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: 1, maxLength: 400 }), (values) => {
      const w = new SampleWindow(1_000, 2000, 1_000);
      for (const v of values) w.add(0, true, v);
      const sorted = [...values].sort((a, b) => a - b);
      const p99 = sorted[p99Rank(values.length) - 1]!;
      expect(w.p99()).toBe(p99);
      expect(p99Exceeds(w.counts())).toBe(p99 > 2000);
    }), { numRuns: 300 });
  });

  it('drops the oldest samples when full and when they age out', () => {
    const w = new SampleWindow(100, 50, 3);
    w.add(0, false, 60);
    w.add(1, true, 10);
    w.add(2, true, 10);
    w.add(3, true, 10); // evicts the failed, slow one
    expect(w.counts()).toEqual({ samples: 3, errors: 0, slow: 0 });
    w.evict(102);
    expect(w.counts()).toEqual({ samples: 1, errors: 0, slow: 0 });
  });
});
