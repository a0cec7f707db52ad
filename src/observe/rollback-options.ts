/**
 * Options, events and validation of the rollback guard.
 * @packageDocumentation
 */
import { GrayConfigError } from '../core/errors.js';
import { parseStage } from '../core/stage.js';

/** What the guard needs from a registry: the routing registries' `setStageDisabled`. */
export interface RollbackTarget {
  /** Adds `stage` to (`disabled: true`) or removes it from the service's `disabledStages` rule. */
  setStageDisabled(service: string, stage: string, disabled: boolean): Promise<void>;
}

/** A pino-compatible logger (only `warn` and `error` are used). */
export interface RollbackLogger {
  /** Called once per trip, with the trip's numbers and limits. */
  warn(fields: object, message: string): void;
  /** Called when the registry refuses to disable the stage (each attempt). */
  error(fields: object, message: string): void;
}

/** Why and with which numbers the guard tripped. Passed to `onTrip` and the `'trip'` event. */
export interface RollbackTripEvent {
  /** The guarded service. */
  readonly service: string;
  /** The stage that tripped (and is being disabled). */
  readonly stage: string;
  /** The limit that broke first. */
  readonly reason: 'error-rate' | 'p99-latency';
  /** Calls in the window when it tripped. */
  readonly samples: number;
  /** Failed calls among them. */
  readonly errors: number;
  /** Failed calls / calls in the window. */
  readonly errorRate: number;
  /** 99th percentile latency of the window, in ms. */
  readonly p99Ms: number;
  /** The window length, in ms (option `window`). */
  readonly windowMs: number;
  /** When it tripped (the guard's clock, default `Date.now()`). */
  readonly at: number;
}

/** Options of {@link createRollbackGuard}. */
export interface RollbackGuardOptions {
  /** Registry whose `setStageDisabled(service, stage, disabled)` is called. Required. */
  readonly registry: RollbackTarget;
  /** Service whose stage is watched (the registry's service name). Required. */
  readonly service: string;
  /** Stage watched and disabled. Default `'canary'`. */
  readonly stage?: string;
  /** Sliding window length in ms. Default `30_000`. */
  readonly window?: number;
  /** Fewest calls in the window before either limit is checked. Default `20`. */
  readonly minSamples?: number;
  /** Trip when failed / total calls in the window exceeds this. Default `0.005` (0.5 %). */
  readonly maxErrorRate?: number;
  /** Trip when the window's p99 latency exceeds this many ms. Default `2000`. */
  readonly maxP99Ms?: number;
  /** Most samples kept; past it the oldest are dropped first. Default `10_000`. */
  readonly capacity?: number;
  /** Called once per trip, after the `'trip'` event. Errors thrown are ignored. Default: none. */
  readonly onTrip?: (event: RollbackTripEvent) => void;
  /** Logs each trip (`warn`) and registry failure (`error`). Default: none. */
  readonly logger?: RollbackLogger;
  /**
   * When disabling the stage in the registry fails (etcd unreachable, file not writable), retry
   * after this many ms, doubling up to 30 s, until it succeeds or {@link RollbackGuard.resume} is
   * called. `0` turns retries off. Default `1000`.
   */
  readonly registryRetryMs?: number;
  /** Clock in ms. Default `Date.now`. */
  readonly now?: () => number;
}

/** Options after validation, defaults filled in. Internal. */
export type ResolvedGuardOptions = Required<Omit<RollbackGuardOptions, 'onTrip' | 'logger'>> & Pick<RollbackGuardOptions, 'onTrip' | 'logger'>;

function requireNumber(name: string, value: number | undefined, fallback: number, ok: (v: number) => boolean, rule: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new GrayConfigError(`graylane/observe: rollback guard ${name} must be ${rule}, got ${String(value)}.`);
  }
  return value;
}

/** Validates options and fills in defaults. @throws GrayConfigError. Internal. */
export function resolveGuardOptions(options: RollbackGuardOptions): ResolvedGuardOptions {
  if (typeof options?.registry?.setStageDisabled !== 'function') {
    throw new GrayConfigError('graylane/observe: rollback guard needs a `registry` with setStageDisabled(service, stage, disabled) (a graylane/routing registry).');
  }
  if (typeof options.service !== 'string' || options.service.length === 0) {
    throw new GrayConfigError('graylane/observe: rollback guard needs the `service` whose stage it watches.');
  }
  const stage = options.stage ?? 'canary';
  const parsed = typeof stage === 'string' ? parseStage(stage) : undefined;
  if (parsed === undefined || !parsed.ok || parsed.stage !== stage) {
    throw new GrayConfigError(`graylane/observe: rollback guard stage ${JSON.stringify(stage)} is not a valid stage.`);
  }
  const window = requireNumber('window', options.window, 30_000, (v) => v >= 1 && v <= 86_400_000, 'between 1 and 86400000 ms');
  const minSamples = requireNumber('minSamples', options.minSamples, 20, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
  const maxErrorRate = requireNumber('maxErrorRate', options.maxErrorRate, 0.005, (v) => v >= 0 && v < 1, 'from 0 to below 1');
  const maxP99Ms = requireNumber('maxP99Ms', options.maxP99Ms, 2000, (v) => v > 0, 'positive');
  const capacity = requireNumber('capacity', options.capacity, 10_000, (v) => Number.isInteger(v) && v >= minSamples && v <= 1_000_000, `an integer from minSamples (${minSamples}) to 1000000`);
  const registryRetryMs = requireNumber('registryRetryMs', options.registryRetryMs, 1000, (v) => v >= 0 && v <= 3_600_000, 'from 0 (no retries) to 3600000 ms');
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new GrayConfigError('graylane/observe: rollback guard `now` must be a function.');
  return {
    registry: options.registry, service: options.service, stage, window, minSamples, maxErrorRate, maxP99Ms, capacity, registryRetryMs, now,
    onTrip: options.onTrip, logger: options.logger,
  };
}
