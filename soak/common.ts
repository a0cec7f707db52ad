/** Small helpers shared by the soak, fuzz and drill scripts: argument parsing, a seeded PRNG, SIGINT. */

/** `true` when `name` is among the arguments. */
export function flag(argv: readonly string[], name: string): boolean {
  return argv.includes(name);
}

/** The positive integer after `name` (`--calls 4000` or `--calls=4000`), or `fallback`. Exits on junk. */
export function intArg(argv: readonly string[], name: string, fallback: number): number {
  let raw: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === name) raw = argv[i + 1];
    else if (a.startsWith(`${name}=`)) raw = a.slice(name.length + 1);
  }
  if (raw === undefined) return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} needs a positive integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

/** A small seeded PRNG (mulberry32), so a run can be repeated with `--seed`. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Calls `onStop` on the first SIGINT (the script then stops its load and cleans up in `finally`);
 * a second SIGINT exits at once. Returns a function that removes the handler.
 */
export function onSigint(onStop: () => void): () => void {
  let count = 0;
  const handler = (): void => {
    count++;
    if (count > 1) process.exit(130);
    process.stderr.write('SIGINT: stopping the load and cleaning up (again to exit now)\n');
    onStop();
  };
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a script's `main` and exits with its code; an unexpected error is printed and exits 2. */
export function exitWith(main: Promise<number>): void {
  main.then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
