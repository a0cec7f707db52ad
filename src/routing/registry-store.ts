/**
 * The in-memory state every registry serves from: instances and rules per service, snapshots,
 * change listeners (notified asynchronously), status and error reporting.
 * @packageDocumentation
 */
import type {
  GrayInstance,
  GrayRegistryHooks,
  GrayRegistryStatus,
  GrayServiceRules,
  GrayServiceSnapshot,
} from './types.js';
import { DEFAULT_RULES } from './validate.js';

type Rules = Required<GrayServiceRules>;
type Listener = (snapshot: GrayServiceSnapshot) => void;

/** Mutable registry state; registries wrap it and expose the read side through {@link GrayRegistry}. */
export class RegistryStore {
  private instances = new Map<string, readonly GrayInstance[]>();
  private rules = new Map<string, Rules>();
  private readonly snapshots = new Map<string, GrayServiceSnapshot>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly dirty = new Set<string>();
  private flushScheduled = false;
  private currentStatus: GrayRegistryStatus = 'ok';

  constructor(private readonly hooks: GrayRegistryHooks = {}) {}

  get status(): GrayRegistryStatus {
    return this.currentStatus;
  }

  getService(service: string): GrayServiceSnapshot {
    let snap = this.snapshots.get(service);
    if (snap === undefined) {
      snap = Object.freeze({
        service,
        instances: this.instances.get(service) ?? Object.freeze([]),
        rules: this.rules.get(service) ?? DEFAULT_RULES,
      });
      this.snapshots.set(service, snap);
    }
    return snap;
  }

  /** Names of the services holding instances or rules, sorted. */
  serviceNames(): string[] {
    return [...new Set([...this.instances.keys(), ...this.rules.keys()])].sort();
  }

  getRules(service: string): Rules {
    return this.rules.get(service) ?? DEFAULT_RULES;
  }

  watchService(service: string, listener: Listener): () => void {
    let set = this.listeners.get(service);
    if (set === undefined) this.listeners.set(service, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(service) === set) this.listeners.delete(service);
    };
  }

  /** Replaces every instance, and the rules too when given; notifies the services that changed. */
  replaceAll(instances: readonly GrayInstance[], rules: ReadonlyMap<string, Rules> = this.rules): void {
    const byService = new Map<string, GrayInstance[]>();
    for (const inst of instances) {
      let list = byService.get(inst.service);
      if (list === undefined) byService.set(inst.service, (list = []));
      list.push(inst);
    }
    const next = new Map<string, readonly GrayInstance[]>();
    for (const [service, list] of byService) next.set(service, Object.freeze(list));
    const touched = new Set([...this.instances.keys(), ...next.keys(), ...this.rules.keys(), ...rules.keys()]);
    const before = { instances: this.instances, rules: this.rules };
    this.instances = next;
    this.rules = new Map(rules);
    for (const service of touched) {
      const sameInstances = sameList(before.instances.get(service), next.get(service));
      const sameRules = sameRule(before.rules.get(service), rules.get(service));
      if (!sameInstances || !sameRules) this.markDirty(service);
    }
  }

  /** Replaces the instances of one service. */
  setInstances(service: string, list: readonly GrayInstance[]): void {
    if (sameList(this.instances.get(service), list)) return;
    if (list.length === 0) this.instances.delete(service);
    else this.instances.set(service, Object.freeze([...list]));
    this.markDirty(service);
  }

  /** Replaces the rules of one service (`undefined`: back to defaults). */
  setRules(service: string, rules: Rules | undefined): void {
    if (sameRule(this.rules.get(service), rules)) return;
    if (rules === undefined) this.rules.delete(service);
    else this.rules.set(service, rules);
    this.markDirty(service);
  }

  setStatus(status: GrayRegistryStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    callHook(this.hooks.onStatus, status);
  }

  reportError(error: unknown): void {
    callHook(this.hooks.onError, error instanceof Error ? error : new Error(String(error)));
  }

  private markDirty(service: string): void {
    this.snapshots.delete(service);
    this.dirty.add(service);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const services = [...this.dirty];
    this.dirty.clear();
    for (const service of services) {
      const set = this.listeners.get(service);
      if (set === undefined) continue;
      const snap = this.getService(service);
      for (const listener of [...set]) callHook(listener, snap);
    }
  }
}

function callHook<T>(hook: ((value: T) => void) | undefined, value: T): void {
  if (hook === undefined) return;
  try {
    hook(value);
  } catch {
    // Hooks and listeners must not break the registry.
  }
}

function sameList(a: readonly GrayInstance[] | undefined, b: readonly GrayInstance[] | undefined): boolean {
  if (a === b) return true;
  if ((a?.length ?? 0) !== (b?.length ?? 0)) return false;
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

function sameRule(a: Rules | undefined, b: Rules | undefined): boolean {
  return a === b || JSON.stringify(a ?? DEFAULT_RULES) === JSON.stringify(b ?? DEFAULT_RULES);
}
