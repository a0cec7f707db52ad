/**
 * The rollback guard: watches one stage of one service over a sliding window and, when its error
 * rate or p99 latency breaks the limits, disables that stage in the registry so routers fall back.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import { GrayConfigError } from '../core/errors.js';
import { parseStage } from '../core/stage.js';
import { SampleWindow, p99Exceeds } from './sample-window.js';

/** What the guard needs from a registry: the routing registries' `setStageDisabled`. */
export interface RollbackTarget {
  setStageDisabled(service: string, stage: string, disabled: boolean): Promise<void>;
}

/** A pino-compatible logger (only `warn` and `error` are used). */
export interface RollbackLogger {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Why and with which numbers the guard tripped. Passed to `onTrip` and the `'trip'` event. */
export interface RollbackTripEvent {
  readonly service: string;
  readonly stage: string;
  /** The limit that broke first. */
  readonly reason: 'error-rate' | 'p99-latency';
  readonly samples: number;
  readonly errors: number;
  /** Failed calls / calls in the window. */
  readonly errorRate: number;
  /** 99th percentile latency of the window, in ms. */
  readonly p99Ms: number;
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
  /** Clock in ms. Default `Date.now`. */
  readonly now?: () => number;
}

function requireNumber(name: string, value: number | undefined, fallback: number, ok: (v: number) => boolean, rule: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new GrayConfigError(`graylane/observe: rollback guard ${name} must be ${rule}, got ${String(value)}.`);
  }
  return value;
}

/**
 * Watches one stage. Feed it with {@link RollbackGuard.record} (or `rollbackGuardInterceptor`).
 * Events: `'trip'` ({@link RollbackTripEvent}), `'resume'` (no argument) and `'registry-error'`
 * (the `Error` from `setStageDisabled`; the guard stays tripped).
 */
export class RollbackGuard extends EventEmitter {
  readonly service: string;
  readonly stage: string;
  private readonly samples: SampleWindow;
  private tripped = false;
  private last: RollbackTripEvent | undefined;

  /** @internal Use {@link createRollbackGuard}. */
  constructor(private readonly options: Required<Omit<RollbackGuardOptions, 'onTrip' | 'logger'>> & Pick<RollbackGuardOptions, 'onTrip' | 'logger'>) {
    super();
    this.service = options.service;
    this.stage = options.stage;
    this.samples = new SampleWindow(options.window, options.maxP99Ms, options.capacity);
  }

  /** `'tripped'` from a breach until {@link resume}, otherwise `'watching'`. */
  get state(): 'watching' | 'tripped' {
    return this.tripped ? 'tripped' : 'watching';
  }

  /** The last trip, if any. */
  get lastTrip(): RollbackTripEvent | undefined {
    return this.last;
  }

  /** Records one finished call of `stage` (other stages, and every call while tripped, are ignored). */
  record(stage: string, ok: boolean, ms: number): void {
    if (this.tripped || stage !== this.stage) return;
    const o = this.options;
    const now = o.now();
    this.samples.add(now, ok, ms);
    const counts = this.samples.counts();
    if (counts.samples < o.minSamples) return;
    const errorRate = counts.errors / counts.samples;
    const reason = errorRate > o.maxErrorRate ? 'error-rate' : p99Exceeds(counts) ? 'p99-latency' : undefined;
    if (reason === undefined) return;
    this.trip({ service: this.service, stage: this.stage, reason, samples: counts.samples, errors: counts.errors, errorRate, p99Ms: this.samples.p99(), windowMs: o.window, at: now });
  }

  /** Re-enables the stage in the registry and starts a fresh window. */
  async resume(): Promise<void> {
    this.samples.clear();
    await this.options.registry.setStageDisabled(this.service, this.stage, false);
    this.tripped = false;
    this.emit('resume');
  }

  private trip(event: RollbackTripEvent): void {
    this.tripped = true;
    this.last = event;
    const { registry, logger, onTrip, maxErrorRate, maxP99Ms } = this.options;
    logger?.warn({ ...event, maxErrorRate, maxP99Ms },
      `graylane: rollback guard disabling ${event.service}/${event.stage}: ${event.reason === 'error-rate'
        ? `error rate ${(event.errorRate * 100).toFixed(2)}% > ${(maxErrorRate * 100).toFixed(2)}%`
        : `p99 ${event.p99Ms.toFixed(0)} ms > ${maxP99Ms} ms`} over ${event.samples} calls in ${event.windowMs} ms`);
    registry.setStageDisabled(this.service, this.stage, true).catch((error: unknown) => {
      logger?.error({ service: this.service, stage: this.stage, err: error }, 'graylane: rollback guard could not disable the stage');
      this.emit('registry-error', error);
    });
    this.emit('trip', event);
    try {
      onTrip?.(event);
    } catch {
      // A faulty hook must not break the caller's request path.
    }
  }
}

/**
 * Creates a {@link RollbackGuard} for `stage` (default `'canary'`) of `service`. Defaults follow the
 * usual canary rollback rule: over a 30 s window with at least 20 calls, trip when more than 0.5 %
 * fail or the p99 latency exceeds 2 s.
 *
 * @throws GrayConfigError for a missing registry or service, an invalid stage, or out-of-range limits.
 */
export function createRollbackGuard(options: RollbackGuardOptions): RollbackGuard {
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
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new GrayConfigError('graylane/observe: rollback guard `now` must be a function.');
  return new RollbackGuard({
    registry: options.registry, service: options.service, stage, window, minSamples, maxErrorRate, maxP99Ms, capacity, now,
    onTrip: options.onTrip, logger: options.logger,
  });
}
