/** The dashboard's Prometheus text parser and the page script's no-markup rule. */
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, readRollouts } from '../../src/dashboard/index.js';
import { PAGE_JS } from '../../src/dashboard/page-script.js';

describe('parsePrometheusText', () => {
  it('reads names, labels (escapes included), special values and skips comments and timestamps', () => {
    const text = [
      '# HELP grpc_server_handled_total Total.',
      '# TYPE grpc_server_handled_total counter',
      'grpc_server_handled_total{grpc_service="a.B",grpc_code="OK",release_stage="canary"} 12 1700000000000',
      'x{v="q\\"uote, } and \\\\ and \\n"} +Inf',
      'y NaN',
      'z{le="-Inf"} -Inf\r',
      '',
    ].join('\n');
    const samples = parsePrometheusText(text);
    expect(samples.map((s) => [s.name, { ...s.labels }, s.value])).toEqual([
      ['grpc_server_handled_total', { grpc_service: 'a.B', grpc_code: 'OK', release_stage: 'canary' }, 12],
      ['x', { v: 'q"uote, } and \\ and \n' }, Infinity],
      ['y', {}, NaN],
      ['z', { le: '-Inf' }, -Infinity],
    ]);
  });

  it('skips malformed lines instead of throwing', () => {
    const samples = parsePrometheusText('a{b="unterminated} 1\nc{="x"} 2\nd{e=f} 3\ng notanumber\nh 4\n{}\n');
    expect(samples.map((s) => s.name)).toEqual(['h']);
  });

  it('keeps label names as own keys of a null-prototype object', () => {
    const [s] = parsePrometheusText('m{__proto__="x",constructor="y"} 1');
    expect(Object.getPrototypeOf(s!.labels)).toBeNull();
    expect(s!.labels.__proto__).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('filters by name and caps samples and labels', () => {
    const text = Array.from({ length: 50 }, (_, i) => `keep{i="${i}"} ${i}\ndrop 1`).join('\n');
    expect(parsePrometheusText(text, { names: new Set(['keep']), maxSamples: 10 })).toHaveLength(10);
    const many = `m{${Array.from({ length: 40 }, (_, i) => `l${i}="v"`).join(',')}} 1`;
    expect(parsePrometheusText(many)).toEqual([]);
    expect(parsePrometheusText(many, { maxLabels: 40 })).toHaveLength(1);
  });

  it('reads a huge hostile line (unterminated quotes, a 2 MB value) and gives nothing for it', () => {
    const hostile = `m{a="${'\\'.repeat(1_000_000)}${'"'.repeat(0)}${'x'.repeat(1_000_000)} 1\nok 2`;
    expect(parsePrometheusText(hostile).map((s) => s.name)).toEqual(['ok']);
  });
});

describe('readRollouts', () => {
  it('gives [] for a registry without rollouts and reads the records of one that has them', () => {
    expect(readRollouts({ getService: () => undefined })).toEqual([]);
    expect(readRollouts(null)).toEqual([]);
    const record = { service: 'shop.Price', stage: 'canary', steps: [5, 25, 100], step: 1, percent: 25, state: 'running', decision: { action: 'advance', reason: 'healthy', at: 1 } };
    const rollouts = readRollouts({ listRollouts: () => ['r1', 'broken'], getRollout: (n: string) => (n === 'r1' ? record : { service: 1 }) });
    expect(rollouts).toEqual([{ name: 'r1', service: 'shop.Price', stage: 'canary', state: 'running', percent: 25, step: 1, steps: [5, 25, 100], next: 100, decision: { action: 'advance', reason: 'healthy', at: 1 }, actions: ['pause', 'abort'] }]);
    // The actions offered follow the state: resume a paused ramp, nothing once it is over.
    const states = ['paused', 'aborted', 'promoted', 'done', 'weird'];
    const byState = readRollouts({ listRollouts: () => states, getRollout: (n: string) => ({ ...record, state: n }) });
    expect(byState.map((r) => [r.state, r.actions])).toEqual([['aborted', []], ['done', []], ['paused', ['resume', 'abort']], ['promoted', []], ['weird', []]]);
    expect(readRollouts({ listRollouts: () => { throw new Error('x'); }, getRollout: () => undefined })).toEqual([]);
  });
});

describe('readRollouts on a real file registry', () => {
  it('reads the rollout record graylane/rollout stores', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createFileRegistry } = await import('graylane/routing');
    const dir = mkdtempSync(join(tmpdir(), 'graylane-dash-'));
    const file = join(dir, 'registry.json');
    writeFileSync(file, JSON.stringify({ instances: [{ service: 'shop.Price', address: '127.0.0.1:50051', stage: 'stable' }] }));
    const registry = createFileRegistry(file, { pollIntervalMs: 0 });
    try {
      const now = Date.now();
      await registry.updateRollout('price-v2', () => ({
        service: 'shop.Price', stage: 'canary', steps: [5, 25, 100], step: 1, percent: 25, state: 'running',
        minDwellMs: 1000, minCalls: 10, startedAt: now, stepStartedAt: now, updatedAt: now,
        decision: { action: 'advance', reason: 'healthy', at: now },
      }));
      expect(readRollouts(registry)).toEqual([{
        name: 'price-v2', service: 'shop.Price', stage: 'canary', state: 'running', percent: 25, step: 1, steps: [5, 25, 100], next: 100,
        decision: { action: 'advance', reason: 'healthy', at: now }, actions: ['pause', 'abort'],
      }]);
    } finally {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the page script', () => {
  it('never turns a string into markup', () => {
    expect(PAGE_JS).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });
});
