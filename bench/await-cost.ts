/**
 * The cost of a bare `await` with and without an AsyncLocalStorage in use (on Node 20 using one
 * turns on promise hooks for the whole process). Run once per mode, each in a fresh process, by
 * bench/run.ts. Prints one JSON line: `{ als, awaitValueNs, awaitAsyncCallNs }` (medians of rounds).
 * Usage: await-cost.ts on|off [--quick]
 * @packageDocumentation
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const useAls = process.argv[2] === 'on';
const quick = process.argv.includes('--quick');
const N = quick ? 300_000 : 1_000_000;
const ROUNDS = quick ? 5 : 9;

async function awaitValue(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await undefined;
}

async function leaf(i: number): Promise<number> {
  return i;
}
async function awaitAsyncCall(n: number): Promise<number> {
  let s = 0;
  for (let i = 0; i < n; i++) s += await leaf(i);
  return s;
}

async function nsPer(fn: (n: number) => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  await fn(N / 10); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    await fn(N);
    samples.push(Number(process.hrtime.bigint() - t) / N);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

async function main(): Promise<{ als: boolean; awaitValueNs: number; awaitAsyncCallNs: number }> {
  return { als: useAls, awaitValueNs: await nsPer(awaitValue), awaitAsyncCallNs: await nsPer(awaitAsyncCall) };
}

// With ALS: measured inside a store, as code in a graylane request runs.
const result = useAls ? await new AsyncLocalStorage<object>().run({ request: 1 }, main) : await main();
process.stdout.write(`${JSON.stringify({ ...result, node: process.version })}\n`);
