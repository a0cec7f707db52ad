/**
 * The in-memory rollout records of a registry: validated on arrival, keyed by name in a `Map`, a
 * corrupted record keeps the last good one (and is reported), watchers notified asynchronously.
 * @packageDocumentation
 */
import { normalizeRolloutRecord, requireRolloutName, type GrayRolloutRecord } from './rollout-record.js';
import type { GrayRolloutRegistry } from './rollout-registry.js';

type Listener = (record: GrayRolloutRecord | undefined) => void;

/** Rollout records of one registry. */
export class RolloutRecords {
  private readonly records = new Map<string, GrayRolloutRecord>();
  private readonly problems = new Map<string, Error>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly report: (error: Error) => void) {}

  get(name: string): GrayRolloutRecord | undefined {
    return this.records.get(name);
  }

  /** The error of the last stored value of `name` when it was refused (the last good record is served), else `undefined`. */
  problem(name: string): Error | undefined {
    return this.problems.get(name);
  }

  names(): string[] {
    return [...new Set([...this.records.keys(), ...this.problems.keys()])].sort();
  }

  /** Validates and stores `raw` under `name`; a bad value keeps the last good record and is reported. Returns the record in force. */
  apply(name: string, raw: unknown, where: string): GrayRolloutRecord | undefined {
    try {
      requireRolloutName(name, where);
      const record = normalizeRolloutRecord(raw, `${where}`);
      this.problems.delete(name);
      const before = this.records.get(name);
      this.records.set(name, record);
      if (before === undefined || JSON.stringify(before) !== JSON.stringify(record)) this.notify(name, record);
      return record;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const kept = this.records.has(name) ? ` Keeping the last good record (step ${this.records.get(name)!.step}, ${this.records.get(name)!.percent}%).` : '';
      const reported = new Error(`${err.message}${kept}`, { cause: err });
      if (this.problems.get(name)?.message !== reported.message) this.report(reported);
      this.problems.set(name, reported);
      return this.records.get(name);
    }
  }

  delete(name: string): void {
    this.problems.delete(name);
    if (this.records.delete(name)) this.notify(name, undefined);
  }

  /** Replaces every record from a `{ name: raw }` map (a re-read file): names gone are deleted. */
  replaceAll(raw: ReadonlyMap<string, unknown>, where: string): void {
    for (const name of this.names()) if (!raw.has(name)) this.delete(name);
    for (const [name, value] of raw) this.apply(name, value, `${where}.${name}`);
  }

  watch(name: string, listener: Listener): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(name) === set) this.listeners.delete(name);
    };
  }

  private notify(name: string, record: GrayRolloutRecord | undefined): void {
    const set = this.listeners.get(name);
    if (set === undefined) return;
    setImmediate(() => {
      for (const listener of [...set]) {
        try {
          listener(record);
        } catch {
          // Listeners must not break the registry.
        }
      }
    });
  }
}

/** The read side of a rollout registry over `records`: what the file and etcd registries expose alike. */
export function rolloutReaders(records: RolloutRecords): Pick<GrayRolloutRegistry, 'getRollout' | 'getRolloutError' | 'listRollouts' | 'watchRollout'> {
  return {
    getRollout: (name) => records.get(name),
    getRolloutError: (name) => records.problem(name),
    listRollouts: () => records.names(),
    watchRollout: (name, listener) => records.watch(name, listener),
  };
}
