import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { callRecords } from '../../src/core/call-records.js';
import { createGrayPolicy } from '../../src/core/policy.js';

// The decision of a call is kept on the framework's per-call object (a private field), not in a
// WeakMap: these pin what that may and may not show.
describe('callRecords', () => {
  const policy = createGrayPolicy({ trustIncoming: true });
  const ctx = policy.contextFor('canary');

  it('finds the decision on the same object only, never on a copy', () => {
    const records = callRecords<object>('test-a');
    const key = { a: 1 };
    records.record(key, ctx, policy);
    expect(records.get(key)?.ctx).toBe(ctx);
    expect(records.get(key)?.policy).toBe(policy);
    expect(records.get({ ...key })).toBeUndefined();
    expect(records.get(structuredClone(key))).toBeUndefined();
  });

  it('leaves no trace in keys, symbols, JSON, inspect output or a Headers copy', () => {
    const records = callRecords<object>('test-b');
    const key = { a: 1 };
    records.record(key, ctx, policy);
    expect(Reflect.ownKeys(key)).toEqual(['a']);
    expect(JSON.stringify(key)).toBe('{"a":1}');
    expect(inspect(key, { depth: 5, showHidden: true })).toBe('{ a: 1 }');
    const headers = new Headers({ 'x-a': '1' });
    records.record(headers, ctx, policy);
    expect([...new Headers({ ...Object.fromEntries(headers) })]).toEqual([['x-a', '1']]);
    expect(() => new Headers({ ...headers } as unknown as ConstructorParameters<typeof Headers>[0])).not.toThrow();
  });

  it('records on frozen objects, and a second record replaces the first', () => {
    const records = callRecords<object>('test-c');
    const key = Object.freeze({ a: 1 });
    records.record(key, ctx, policy);
    expect(records.get(key)?.ctx).toBe(ctx);
    const stable = policy.contextFor('stable');
    records.record(key, stable, policy);
    expect(records.get(key)?.ctx).toBe(stable);
  });

  it('reads decisions an older copy (0.1) kept in the shared WeakMap', () => {
    const key = {};
    const slot = Symbol.for('graylane.test-d.call-contexts.v1');
    (globalThis as Record<symbol, WeakMap<object, unknown>>)[slot] = new WeakMap([[key, { ctx, policy }]]);
    expect(callRecords<object>('test-d').get(key)?.ctx).toBe(ctx);
  });

  it('is shared by two copies of the module (the same Symbol.for property)', () => {
    const key = {};
    callRecords<object>('test-e').record(key, ctx, policy);
    expect(callRecords<object>('test-e').get(key)?.ctx).toBe(ctx);
    expect(callRecords<object>('test-f').get(key)).toBeUndefined();
  });
});

describe('callRecords with keys a sloppy caller passes', () => {
  it('a primitive or null key has no decision and does not throw', () => {
    const records = callRecords<object>('test-g');
    for (const key of [null, undefined, 0, 'md', true, Symbol('s')]) expect(records.get(key as unknown as object)).toBeUndefined();
  });

  it('a non-extensible key is kept in the shared WeakMap (readable by a 0.1 copy)', () => {
    const records = callRecords<object>('test-h');
    const key = Object.preventExtensions({});
    const ctx = createGrayPolicy().contextFor('canary');
    records.record(key, ctx, createGrayPolicy());
    const table = (globalThis as Record<symbol, WeakMap<object, { ctx: unknown }>>)[Symbol.for('graylane.test-h.call-contexts.v1')];
    expect(table?.get(key)?.ctx).toBe(ctx);
    expect(records.get(key)?.ctx).toBe(ctx);
  });
});
