/**
 * Serialises read-modify-write cycles on one registry file: in this process through a promise
 * chain per file, across processes through a lock file created with `O_EXCL` beside the file's
 * target (`<target>.lock`). A lock left by a dead process is broken when its owner (same host) is
 * gone, or after {@link STALE_LOCK_MS}.
 * @packageDocumentation
 */
import { hostname } from 'node:os';
import type { Stats } from 'node:fs';
import { readFile, realpath, stat, unlink, writeFile } from 'node:fs/promises';

/** Age after which a lock file is considered abandoned: 10 s (a write holds it for milliseconds). */
export const STALE_LOCK_MS = 10_000;
/** Longest wait for the lock before giving up: 30 s. */
const LOCK_TIMEOUT_MS = 30_000;

const chains = new Map<string, Promise<unknown>>();

/** Runs `fn(target)` — `target` being the realpath of `file` — while holding both locks of `file`. */
export function withFileLock<T>(file: string, fn: (target: string) => Promise<T>): Promise<T> {
  const previous = chains.get(file) ?? Promise.resolve();
  const run = previous.then(() => underLockFile(file, fn));
  const tail = run.then(() => undefined, () => undefined);
  chains.set(file, tail);
  void tail.then(() => {
    if (chains.get(file) === tail) chains.delete(file);
  });
  return run;
}

async function underLockFile<T>(file: string, fn: (target: string) => Promise<T>): Promise<T> {
  const target = await realpath(file);
  const lock = `${target}.lock`;
  const owner = `${hostname()} ${process.pid}\n`;
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      await writeFile(lock, owner, { flag: 'wx', mode: 0o644 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const state = await lockState(lock);
    if (state === 'released') continue;
    if (state !== 'held') {
      // Break it only if it is still the very file judged stale (not a new lock taken meanwhile).
      const now = await stat(lock).catch(() => undefined);
      if (now !== undefined && now.ino === state.ino && now.mtimeMs === state.mtimeMs) await unlink(lock).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`graylane: registry file ${target} stays locked by ${lock}; remove that file if no graylane process is writing the registry.`);
    }
    await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
  }
  try {
    return await fn(target);
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/** `'held'` by a live writer, `'released'` meanwhile, or the stat of an abandoned lock file. */
async function lockState(lock: string): Promise<'held' | 'released' | Stats> {
  let st: Stats;
  let content: string;
  try {
    st = await stat(lock);
    content = await readFile(lock, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'released';
    throw e;
  }
  if (Date.now() - st.mtimeMs > STALE_LOCK_MS) return st;
  const [host, pid] = content.trim().split(' ');
  if (host !== hostname() || !/^\d+$/.test(pid ?? '')) return 'held'; // another host, or still being written
  try {
    process.kill(Number(pid), 0);
    return 'held';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH' ? st : 'held'; // EPERM: alive, not ours
  }
}
