import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import {
  bindGrayContext,
  createGrayPolicy,
  extractGrayContext,
  getGrayContext,
  getReleaseStage,
  recordCarrier,
  runWithGrayContext,
  runWithStage,
} from '../../src/index.js';

const canary = extractGrayContext({ 'x-release-stage': 'canary', 'x-gray-a': '1' }, recordCarrier, createGrayPolicy({ keyPrefix: 'x-gray-' }));

describe('context store', () => {
  it('is empty outside a request', () => {
    expect(getGrayContext()).toBeUndefined();
    expect(getReleaseStage()).toBe('stable');
    expect(getReleaseStage(createGrayPolicy({ defaultStage: 'blue' }))).toBe('blue');
  });

  it('runWithGrayContext survives await and timers and passes arguments', async () => {
    const seen = await runWithGrayContext(canary, async (n: number) => {
      await new Promise((r) => setTimeout(r, 5));
      await Promise.resolve();
      return `${getReleaseStage()}-${n}`;
    }, 7);
    expect(seen).toBe('canary-7');
    expect(getGrayContext()).toBeUndefined();
  });

  it('runWithStage derives a new context and keeps extra keys', () => {
    runWithGrayContext(canary, () => {
      runWithStage('blue', () => {
        expect(getGrayContext()).toEqual({ stage: 'blue', explicit: true, entries: { 'x-gray-a': '1', 'x-release-stage': 'blue' } });
      });
      expect(getGrayContext()).toBe(canary);
    });
  });

  it('runWithStage with an invalid stage gives the default stage instead of throwing', () => {
    runWithStage('../etc', () => {
      expect(getGrayContext()).toEqual({ stage: 'stable', explicit: false, entries: {} });
    });
  });

  it('bindGrayContext carries the context into callbacks fired elsewhere', () => {
    const emitter = new EventEmitter();
    const seen: string[] = [];
    runWithStage('canary', () => emitter.on('x', bindGrayContext(() => seen.push(getReleaseStage()))));
    runWithStage('blue', () => emitter.emit('x'));
    emitter.emit('x');
    expect(seen).toEqual(['canary', 'canary']);
  });

  it('isolates concurrent async flows', async () => {
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        runWithStage(`s-${i}`, async () => {
          await new Promise((r) => setTimeout(r, i % 7));
          return getReleaseStage() === `s-${i}`;
        }),
      ),
    );
    expect(results.every(Boolean)).toBe(true);
  });

  it('shares one store across copies of the package (Symbol.for slot)', () => {
    const slot = (globalThis as Record<symbol, unknown>)[Symbol.for('graylane.context-storage.v1')] as { getStore(): unknown };
    runWithStage('canary', () => expect(slot.getStore()).toBe(getGrayContext()));
  });
});
