/**
 * `createFileRegistry`: the embedded default registry — a JSON (or YAML) file of instances and rules, watched
 * and hot-reloaded. A broken edit keeps the last good state and is reported through `onError`.
 * @packageDocumentation
 */
import { lstatSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { GrayConfigError } from '../core/errors.js';
import { JSON_FORMAT, parseRegistryFile, toggleStage, withRollout, type RegistryFileFormat } from './file-format.js';
import { campaignFileLeader } from './file-leader.js';
import { readRegistryText, readRegistryTextSync, writeFileAtomic } from './file-io.js';
import { withFileLock } from './file-lock.js';
import { RegistryStore } from './registry-store.js';
import { normalizeRolloutRecord, requireRolloutName } from './rollout-record.js';
import { RolloutRecords, rolloutReaders } from './rollout-records.js';
import type { GrayRolloutRegistry } from './rollout-registry.js';
import type { GrayRegistryHooks } from './types.js';
import { requireRegistryStage, requireService } from './validate.js';

/** Options of {@link createFileRegistry}. */
export interface FileRegistryOptions extends GrayRegistryHooks {
  /** Quiet time after a change event before the file is re-read, in ms. Default `50`. */
  readonly debounceMs?: number;
  /** Interval of the polling fallback (for file systems where `fs.watch` misses changes), in ms; `0` disables it. Default `2000`. */
  readonly pollIntervalMs?: number;
  /**
   * How the file's text is parsed and written back. Default: JSON. For YAML, pass the `yaml`
   * package's functions: `{ name: 'YAML', parse: YAML.parse, stringify: YAML.stringify }` (graylane
   * does not depend on a YAML parser; a `.yaml` / `.yml` path without this option is refused).
   */
  readonly format?: RegistryFileFormat;
}

/** A registry backed by a JSON (or YAML) file; it also stores rollout records (`"rollouts": { "<name>": {...} }`). */
export interface FileGrayRegistry extends GrayRolloutRegistry {
  /** Absolute path of the file. */
  readonly path: string;
  /** The error of the last reload attempt, or `undefined` when the file on disk is in use. */
  readonly lastError: Error | undefined;
  /** Re-reads the file now. Resolves `true` when it was valid and applied, `false` when kept the last good state. */
  reload(): Promise<boolean>;
}

/**
 * Creates a registry from a JSON file (or YAML, with the `format` option):
 * `{ "instances": [{ "service", "address", "stage", "weight"?, "meta"? }], "rules": { "<service>": { "fallback"?, "strictStages"?, "disabledStages"? } } }`.
 *
 * The file is read synchronously here and then watched (`fs.watch` on its directory, so editors
 * that replace the file are seen, plus a polling fallback).
 *
 * @throws GrayConfigError when the file cannot be read or is invalid at start (the message names the entry to fix),
 *   when the options are invalid, or when a `.yaml` / `.yml` file is given without `format`.
 */
export function createFileRegistry(path: string, options: FileRegistryOptions = {}): FileGrayRegistry {
  if (typeof path !== 'string' || path === '') throw new GrayConfigError('graylane: createFileRegistry(path) needs the path of a JSON registry file.');
  const file = resolve(path);
  const debounceMs = options.debounceMs ?? 50;
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  if (!(debounceMs >= 0) || !(pollIntervalMs >= 0)) throw new GrayConfigError('graylane: debounceMs and pollIntervalMs must be non-negative numbers of milliseconds.');
  const format = options.format ?? JSON_FORMAT;
  if (typeof format.parse !== 'function' || typeof format.stringify !== 'function') {
    throw new GrayConfigError('graylane: createFileRegistry format needs parse(text) and stringify(doc) functions, e.g. { name: \'YAML\', parse: YAML.parse, stringify: YAML.stringify } from the yaml package.');
  }
  if (options.format === undefined && /^\.ya?ml$/i.test(extname(file))) {
    throw new GrayConfigError(`graylane: registry file ${file} looks like YAML; graylane reads JSON unless told otherwise: install the yaml package and pass { format: { name: 'YAML', parse: YAML.parse, stringify: YAML.stringify } }.`);
  }
  const store = new RegistryStore(options);
  let text: string;
  try {
    text = readRegistryTextSync(file);
  } catch (e) {
    throw new GrayConfigError(`graylane: cannot read registry file ${file}: ${(e as Error).message}. Point it at a JSON file, e.g. { "instances": [], "rules": {} }.`, { cause: e });
  }
  const initial = parseRegistryFile(text, file, format);
  store.replaceAll(initial.instances, initial.rules);
  const rollouts = new RolloutRecords((e) => store.reportError(e));
  const applyRollouts = (raw: ReadonlyMap<string, unknown> | undefined): void => {
    if (raw === undefined) store.reportError(new GrayConfigError(`graylane: registry file ${file}: "rollouts" must be an object keyed by rollout name; keeping the last good rollout records.`));
    else rollouts.replaceAll(raw, 'rollouts');
  };
  applyRollouts(initial.rollouts);

  let lastText = text;
  let lastError: Error | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<boolean> | undefined;
  let queued: Promise<boolean> | undefined;

  const apply = (content: string): boolean => {
    if (content === lastText && lastError === undefined) return true;
    try {
      const parsed = parseRegistryFile(content, file, format);
      store.replaceAll(parsed.instances, parsed.rules);
      applyRollouts(parsed.rollouts);
      lastText = content;
      lastError = undefined;
      return true;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (lastError?.message !== err.message || content !== lastText) store.reportError(err);
      lastText = content;
      lastError = err;
      return false;
    }
  };

  const readOnce = (): Promise<boolean> =>
    readRegistryText(file).then(apply, (e: Error) => {
      if (e && (e as NodeJS.ErrnoException).code === 'ENOENT') return false; // mid-replace; the next event re-reads
      const err = new GrayConfigError(`graylane: cannot read registry file ${file}: ${e.message}; keeping the last good state.`, { cause: e });
      lastError = err;
      store.reportError(err);
      return false;
    });

  const reload = (): Promise<boolean> => {
    if (closed) return Promise.resolve(false);
    if (reading === undefined) {
      reading = readOnce().finally(() => {
        reading = undefined;
      });
      return reading;
    }
    // A read is in flight, and it may have read the file before the caller's change: read again once
    // it is done (callers meanwhile share that one follow-up read), so a reload never resolves with
    // — or leaves in force — content older than the call.
    queued ??= reading.then(() => {
      queued = undefined;
      return reload();
    });
    return queued;
  };

  const schedule = (): void => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void reload();
    }, debounceMs);
    timer.unref();
  };

  // The file's directory; for a symlink also its target's directory (an edit of the target is seen
  // at once) and, in the link's directory, a Kubernetes ConfigMap's `..data` swap.
  const watchers: FSWatcher[] = [];
  const names = new Set([basename(file)]);
  const dirs = new Set([dirname(file)]);
  let linked = false;
  try {
    linked = lstatSync(file).isSymbolicLink();
    const target = realpathSync(file);
    names.add(basename(target));
    dirs.add(dirname(target));
  } catch {
    // Checked by the read above; a race here only costs the extra watch.
  }
  for (const dir of dirs) {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, changed) => {
        if (changed === null || names.has(changed) || (linked && changed.startsWith('..data'))) schedule();
      });
      watcher.on('error', (e) => store.reportError(e));
      watchers.push(watcher);
    } catch (e) {
      store.reportError(e);
    }
  }
  let lastStat = statKey(file);
  const poll = pollIntervalMs > 0
    ? setInterval(() => {
      const key = statKey(file);
      if (key !== lastStat) {
        lastStat = key;
        schedule();
      }
    }, pollIntervalMs).unref()
    : undefined;

  return {
    path: file,
    get lastError() {
      return lastError;
    },
    get status() {
      return store.status;
    },
    getService: (service) => store.getService(service),
    watchService: (service, listener) => store.watchService(service, listener),
    listServices: () => store.serviceNames(),
    reload,
    async setStageDisabled(service, stage, disabled) {
      requireService(service, 'setStageDisabled');
      requireRegistryStage(stage, 'setStageDisabled');
      // Read-modify-write under the in-process queue and the cross-process lock file, so
      // concurrent writers (two rollback guards, an operator's script) never lose a change.
      await withFileLock(file, async (target) => {
        const current = await readRegistryText(target);
        const next = toggleStage(current, file, service, stage, disabled, () => store.getRules(service), (rules) => store.setRules(service, rules), format);
        await writeFileAtomic(target, next);
        apply(next);
      });
    },
    ...rolloutReaders(rollouts),
    async updateRollout(name, update) {
      requireRolloutName(name, 'updateRollout');
      return withFileLock(file, async (target) => {
        const current = await readRegistryText(target);
        const raw = parseRegistryFile(current, file, format).rollouts;
        const stored = raw?.has(name) === true ? rollouts.apply(name, raw.get(name), `rollouts.${name}`) : raw === undefined ? rollouts.get(name) : undefined;
        const next = update(stored);
        if (next === undefined) return stored;
        const record = normalizeRolloutRecord(next, `updateRollout('${name}')`);
        const text = withRollout(current, file, name, record, format);
        await writeFileAtomic(target, text);
        apply(text);
        return rollouts.get(name);
      });
    },
    campaignRollout(name, handlers, opts) {
      requireRolloutName(name, 'campaignRollout');
      const ttl = opts?.ttlSeconds ?? 10;
      if (!(ttl > 0)) throw new GrayConfigError('graylane: campaignRollout: ttlSeconds must be a positive number.');
      return campaignFileLeader(file, name, handlers, ttl, (e) => store.reportError(e));
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const watcher of watchers) watcher.close();
      if (timer !== undefined) clearTimeout(timer);
      if (poll !== undefined) clearInterval(poll);
      store.setStatus('closed');
    },
  };
}

function statKey(file: string): string {
  try {
    const s = statSync(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}
