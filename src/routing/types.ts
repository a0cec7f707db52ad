/**
 * The registry vocabulary shared by routing and every registry: instances, per-service rules,
 * snapshots and the {@link GrayRegistry} interface.
 * @packageDocumentation
 */

/** One instance of a service, as announced in a registry. */
export interface GrayInstance {
  /** Service name the instance serves, e.g. `'shop.Price'` (the `<service>` of `graylane:///<service>`). */
  readonly service: string;
  /** `host:port` (IPv6 as `[::1]:50051`) the instance listens on. */
  readonly address: string;
  /** Release stage of the instance, e.g. `'stable'` or `'canary'`. */
  readonly stage: string;
  /** Relative share of its stage's traffic, an integer from 1 to 1000. Default `1`. */
  readonly weight?: number;
  /** Free-form labels (not used for routing). Default: none. */
  readonly meta?: Readonly<Record<string, string>>;
}

/** Fallback mode of a service: see {@link GrayServiceRules.fallback}. */
export type GrayFallbackMode = 'permissive' | 'strict';

/** Routing rules of one service, as stored in a registry. */
export interface GrayServiceRules {
  /**
   * What a call gets when its stage has no ready instance. `'permissive'` (default): the default
   * stage's instances. `'strict'`: `UNAVAILABLE`, for every non-default stage.
   */
  readonly fallback?: GrayFallbackMode;
  /** Stages that fail with `UNAVAILABLE` instead of falling back, even when `fallback` is permissive. Default `[]`. */
  readonly strictStages?: readonly string[];
  /**
   * Stages whose instances receive no traffic: calls of these stages are routed as if the stage
   * had no instance (fallback rules apply). The default stage cannot be disabled. Default `[]`.
   */
  readonly disabledStages?: readonly string[];
}

/** The routing view of one service at one moment. Immutable. */
export interface GrayServiceSnapshot {
  /** The service name. */
  readonly service: string;
  /** Registered instances of the service (empty when none). */
  readonly instances: readonly GrayInstance[];
  /** Rules with every field filled in (defaults: permissive, no strict or disabled stages). */
  readonly rules: Required<GrayServiceRules>;
}

/** Connection status of a registry backed by a remote store (always `'ok'` for local registries). */
export type GrayRegistryStatus = 'ok' | 'connecting' | 'unreachable' | 'closed';

/**
 * Where routing reads instances and rules. Reads are served from memory (no I/O per call);
 * implementations keep that memory up to date (file watch, etcd watch).
 */
export interface GrayRegistry {
  /** Current view of `service`; an unknown service gives no instances and default rules. Never throws. */
  getService(service: string): GrayServiceSnapshot;
  /**
   * Calls `listener` (asynchronously, never from inside this call) after each change to `service`.
   * @returns a function that removes the listener.
   */
  watchService(service: string, listener: (snapshot: GrayServiceSnapshot) => void): () => void;
  /**
   * Disables (or re-enables) `stage` of `service` in the registry's stored rules, so every router
   * reading this registry, in every process, falls back from it. Resolves once persisted.
   */
  setStageDisabled(service: string, stage: string, disabled: boolean): Promise<void>;
  /**
   * Names of the services the registry holds instances or rules for, sorted — for tools that show
   * the registry (the dashboard). Optional: graylane's registries have it; a registry of your own
   * may leave it out.
   */
  listServices?(): string[];
  /** Connection status (`'ok'` for static and file registries). */
  readonly status: GrayRegistryStatus;
  /** Stops watching and releases resources. Idempotent. */
  close(): Promise<void>;
}

/** Hooks shared by every registry's options. */
export interface GrayRegistryHooks {
  /**
   * Called with every background error (a broken file edit, an etcd outage, a failed re-register).
   * The registry keeps serving its last good state. Errors thrown by the hook are ignored. Default: none.
   */
  readonly onError?: (error: Error) => void;
  /** Called when {@link GrayRegistry.status} changes. Default: none. */
  readonly onStatus?: (status: GrayRegistryStatus) => void;
}
