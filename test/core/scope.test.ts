import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { getGrayContext, runWithGrayContext } from '../../src/core/context.js';
import { createGrayPolicy } from '../../src/core/policy.js';
import { grayScope, runInGrayScope } from '../../src/core/scope.js';

const policy = createGrayPolicy();
const canary = policy.contextFor('canary');
const blue = createGrayPolicy({ stages: ['stable', 'blue'] }).contextFor('blue');
const seen = (a: string[], label: string): void => {
  a.push(`${label}:${getGrayContext()?.stage ?? 'none'}`);
};

describe('grayScope / runInGrayScope', () => {
  it('re-enters the context every time, from outside any context and from another one', async () => {
    const out: string[] = [];
    const scope = grayScope(canary);
    runInGrayScope(scope, seen, out, 'outside');
    runWithGrayContext(blue, () => runInGrayScope(scope, seen, out, 'in-blue'));
    await new Promise((r) => setTimeout(r, 1));
    runInGrayScope(scope, seen, out, 'later');
    seen(out, 'after');
    expect(out).toEqual(['outside:canary', 'in-blue:canary', 'later:canary', 'after:none']);
  });

  it('restores the caller\'s context after each run, also when fn throws', () => {
    const scope = grayScope(canary);
    runWithGrayContext(blue, () => {
      expect(() => runInGrayScope(scope, () => { throw new Error('boom'); }, 0, 0)).toThrow('boom');
      expect(getGrayContext()).toBe(blue);
    });
  });

  it('made inside the context (the client side), keeps the caller\'s other stores too', () => {
    const other = new AsyncLocalStorage<string>();
    const scope = other.run('caller', () => runWithGrayContext(canary, () => grayScope(canary)));
    const got = other.run('stranger', () => runInGrayScope(scope, () => [getGrayContext()?.stage, other.getStore()], 0, 0));
    // On AsyncContextFrame runtimes the caller's whole frame is re-entered; on async_hooks ones only the gray store is set.
    expect(got[0]).toBe('canary');
    expect(['caller', 'stranger']).toContain(got[1]);
  });

  it('promises started inside a run see the context after await', async () => {
    const scope = grayScope(canary);
    const stage = await runInGrayScope(scope, async () => {
      await new Promise((r) => setImmediate(r));
      return getGrayContext()?.stage;
    }, 0, 0);
    expect(stage).toBe('canary');
  });
});
