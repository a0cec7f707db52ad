/**
 * Rollout leadership with a file registry: a lock file beside the registry file's target
 * (`<target>.rollout-<name>.leader`) created with `O_EXCL`, holding `host pid token`. The leader
 * refreshes its mtime every `ttl / 3`; another process takes it over when the owner (on this host)
 * is gone or the file was not refreshed for `ttl`. One process per registry file should drive a
 * rollout; the lock makes a second one wait instead of racing.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { readFile, realpath, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import type { GrayRolloutCampaign, GrayRolloutCampaignHandlers } from './rollout-registry.js';

/** Campaigns for the lock of rollout `name` of registry `file` until `resign()`. */
export function campaignFileLeader(file: string, name: string, handlers: GrayRolloutCampaignHandlers, ttlSeconds: number, report: (e: Error) => void): GrayRolloutCampaign {
  const ttlMs = ttlSeconds * 1000;
  const owner = `${hostname()} ${process.pid} ${randomBytes(6).toString('hex')}\n`;
  let leader = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lockPath: string | undefined;

  const schedule = (ms: number): void => {
    if (stopped) return;
    timer = setTimeout(() => void tick(), ms);
    timer.unref();
  };

  const lose = (error: Error): void => {
    leader = false;
    try {
      handlers.onLost(error);
    } catch {
      // ignored
    }
  };

  const tick = async (): Promise<void> => {
    try {
      lockPath ??= `${await realpath(file)}.rollout-${name}.leader`;
      if (leader) {
        const content = await readFile(lockPath, 'utf8').catch(() => '');
        if (content !== owner) lose(new Error(`graylane: rollout '${name}': the leader lock ${lockPath} was taken over`));
        else await utimes(lockPath, new Date(), new Date());
      } else if (await tryTake(lockPath, owner, ttlMs)) {
        if (stopped) return void (await unlink(lockPath).catch(() => undefined));
        leader = true;
        try {
          handlers.onElected();
        } catch {
          // ignored
        }
      }
    } catch (e) {
      report(e instanceof Error ? e : new Error(String(e)));
      if (leader) lose(e instanceof Error ? e : new Error(String(e)));
    }
    schedule(Math.max(50, Math.floor(ttlMs / 3)));
  };
  schedule(0);

  return {
    get leader() {
      return leader;
    },
    async resign() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      if (leader && lockPath !== undefined) {
        leader = false;
        const content = await readFile(lockPath, 'utf8').catch(() => '');
        if (content === owner) await unlink(lockPath).catch(() => undefined);
      }
    },
  };
}

/** Creates the lock file, first breaking it when its owner is gone or it is stale. */
async function tryTake(lock: string, owner: string, ttlMs: number): Promise<boolean> {
  try {
    await writeFile(lock, owner, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const before = await stat(lock).catch(() => undefined);
  if (before === undefined) return false; // released meanwhile: the next tick takes it
  const content = await readFile(lock, 'utf8').catch(() => '');
  const [host, pid] = content.trim().split(' ');
  let abandoned = Date.now() - before.mtimeMs > ttlMs;
  if (!abandoned && host === hostname() && /^\d+$/.test(pid ?? '')) {
    try {
      process.kill(Number(pid), 0);
    } catch (err) {
      abandoned = (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  if (!abandoned) return false;
  // Break it only if it is still the very file judged abandoned.
  const now = await stat(lock).catch(() => undefined);
  if (now === undefined || now.ino !== before.ino || now.mtimeMs !== before.mtimeMs) return false;
  await unlink(lock).catch(() => undefined);
  try {
    await writeFile(lock, owner, { flag: 'wx', mode: 0o644 });
    return true;
  } catch {
    return false;
  }
}
