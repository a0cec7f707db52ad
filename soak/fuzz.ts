/**
 * Fuzzing: runs every property of soak/fuzz-properties.ts (fast-check) with `--runs N` runs each
 * (default 10,000; the soak's full run uses 100,000) and reports runs, time and the first
 * counterexample per property. Exits non-zero when any property fails.
 *
 *   npx tsx soak/fuzz.ts [--runs N] [--seed S] [--only <substring>] [--json]
 */
import { exitWith, flag, intArg, onSigint } from './common.js';
import { fuzzProperties } from './fuzz-properties.js';

const argv = process.argv.slice(2);
const json = flag(argv, '--json');
const runs = intArg(argv, '--runs', 10_000);
const seed = argv.includes('--seed') ? intArg(argv, '--seed', 1) : Date.now() % 2_147_483_647;
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;

interface Outcome { name: string; runs: number; ms: number; ok: boolean; failure?: string }

async function main(): Promise<number> {
  const { properties, dispose } = fuzzProperties();
  const outcomes: Outcome[] = [];
  let interrupted = false;
  const off = onSigint(() => {
    interrupted = true;
  });
  try {
    for (const p of properties) {
      if (interrupted) break;
      if (only !== undefined && !p.name.includes(only)) continue;
      const started = performance.now();
      let failure: string | undefined;
      try {
        // fast-check's check is synchronous or returns a promise (async properties).
        await p.check(runs, seed);
      } catch (e) {
        failure = (e as Error).message.split('\n').slice(0, 12).join('\n');
      }
      const outcome: Outcome = { name: p.name, runs, ms: Math.round(performance.now() - started), ok: failure === undefined, ...(failure ? { failure } : {}) };
      outcomes.push(outcome);
      if (!json) console.log(`${outcome.ok ? 'ok  ' : 'FAIL'} ${p.name}: ${runs} runs in ${(outcome.ms / 1000).toFixed(1)} s${failure ? `\n${failure.replace(/^/gm, '      ')}` : ''}`);
    }
  } finally {
    off();
    await dispose();
  }
  const ok = outcomes.every((o) => o.ok) && !interrupted;
  if (json) process.stdout.write(`${JSON.stringify({ ok, seed, runsPerProperty: runs, properties: outcomes, node: process.version })}\n`);
  else console.log(`fuzz ${ok ? 'PASSED' : 'FAILED'}: ${outcomes.length} properties × ${runs} runs (seed ${seed})`);
  return interrupted ? 130 : ok ? 0 : 1;
}

exitWith(main());
