/** Binding an async generator to a gray context: why the server middleware re-enters it on every step. */
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { bindGrayContext, createGrayPolicy, getGrayContext, getReleaseStage, runWithGrayContext, runWithStage } from '../../src/index.js';
import { bindAsyncGenerator, bindAsyncIterable } from '../../src/core/bind-async.js';

const canary = createGrayPolicy().contextFor('canary');
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function* stages(): AsyncGenerator<string, string, string | undefined> {
  const seen = [getReleaseStage()];
  await tick();
  seen.push(getReleaseStage());
  const sent = yield seen.join(',');
  seen.length = 0;
  seen.push(`${sent ?? ''}:${getReleaseStage()}`);
  try {
    yield seen.join(',');
  } finally {
    seen.push(`finally:${getReleaseStage()}`);
  }
  return seen.join(',');
}

describe('bindAsyncGenerator', () => {
  it('unbound, a generator created in the context or started in it loses it after a yield', async () => {
    const created = runWithGrayContext(canary, () => stages());
    expect((await created.next()).value).toBe('stable,stable');
    const started = stages();
    expect((await runWithGrayContext(canary, () => started.next())).value).toBe('canary,canary');
    expect((await started.next('sent')).value).toBe('sent:stable');
  });

  it('a bound generator sees the context at start, after await, after yield, in finally', async () => {
    const it = bindAsyncGenerator(stages(), canary);
    expect(await it.next()).toEqual({ done: false, value: 'canary,canary' });
    expect(await it.next('sent')).toEqual({ done: false, value: 'sent:canary' });
    expect(await it.return('early')).toEqual({ done: true, value: 'early' });
  });

  it('throw re-enters the context too', async () => {
    async function* catcher(): AsyncGenerator<string, string> {
      try {
        yield 'first';
      } catch {
        await tick();
        return `caught:${getReleaseStage()}`;
      }
      return 'none';
    }
    const it = bindAsyncGenerator(catcher(), canary);
    await it.next();
    expect(await it.throw(new Error('x'))).toEqual({ done: true, value: 'caught:canary' });
  });

  it('works with for await and yield*, and binds plain async iterables', async () => {
    async function* source(): AsyncGenerator<string> {
      for (let i = 0; i < 3; i++) {
        await tick();
        yield getReleaseStage();
      }
    }
    const out: string[] = [];
    for await (const s of bindAsyncIterable(source(), canary)) out.push(s);
    async function* outer(): AsyncGenerator<string> {
      yield* bindAsyncGenerator(source(), canary);
    }
    for await (const s of outer()) out.push(s);
    expect(out).toEqual(Array<string>(6).fill('canary'));
  });
});

describe('bindGrayContext outside any context', () => {
  it('binds "no context": the callback never runs in the context of whoever calls it', async () => {
    const emitter = new EventEmitter();
    const seen: string[] = [];
    // Bound outside any request (e.g. at startup), fired later from inside a canary request.
    emitter.on('event', bindGrayContext(() => {
      seen.push(`sync:${getGrayContext()?.stage ?? 'none'}`);
      void Promise.resolve().then(() => seen.push(`async:${getGrayContext()?.stage ?? 'none'}`));
    }));
    runWithStage('canary', () => emitter.emit('event'));
    await tick();
    expect(seen).toEqual(['sync:none', 'async:none']);
  });

  it('keeps this and arguments, and returns the result', () => {
    const target = { n: 2, times: bindGrayContext(function (this: { n: number }, k: number) { return this.n * k; }) };
    expect(runWithStage('canary', () => target.times(3))).toBe(6);
  });
});
