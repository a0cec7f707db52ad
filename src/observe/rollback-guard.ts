/**
 * The rollback guard: watches one stage of one service over a sliding window and, when its error
 * rate or p99 latency breaks the limits, disables that stage in the registry so routers fall back.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import { SampleWindow, p99Exceeds } from './sample-window.js';
import { resolveGuardOptions, type ResolvedGuardOptions, type RollbackGuardOptions, type RollbackTripEvent } from './rollback-options.js';

export type { RollbackGuardOptions, RollbackLogger, RollbackTarget, RollbackTripEvent } from './rollback-options.js';

/** Longest wait between two attempts to disable the stage after registry failures, in ms. */
const MAX_RETRY_MS = 30_000;

/**
 * The brand every {@link RollbackGuard} carries, shared by every copy of graylane in the process
 * (ESM and CommonJS builds, two installed versions) through `Symbol.for`: the feeds recognise a guard
 * by it, since `instanceof` fails across copies.
 */
const GUARD_BRAND: unique symbol = Symbol.for('graylane.rollbackGuard') as never;

/** `true` for a guard built by `createRollbackGuard` of any copy of graylane in the process. Internal. */
export function isRollbackGuard(value: unknown): value is RollbackGuard {
  return typeof value === 'object' && value !== null && (value as { [GUARD_BRAND]?: unknown })[GUARD_BRAND] === true;
}

/**
 * Watches one stage. Feed it with {@link RollbackGuard.record} (or `rollbackGuardInterceptor`).
 * Events: `'trip'` ({@link RollbackTripEvent}), `'disabled'` (the registry accepted the change;
 * `{ attempts }`), `'resume'` (no argument) and `'registry-error'` (the `Error` from
 * `setStageDisabled`; the guard stays tripped and retries after `registryRetryMs`, doubling up to 30 s).
 */
export class RollbackGuard extends EventEmitter {
  /** The service whose stage is watched. */
  readonly service: string;
  /** The stage watched and disabled on a trip (default `'canary'`). */
  readonly stage: string;
  /** The cross-copy brand (`Symbol.for('graylane.rollbackGuard')`): always `true`. */
  readonly [GUARD_BRAND] = true as const;
  private readonly samples: SampleWindow;
  private tripped = false;
  private last: RollbackTripEvent | undefined;
  /** Bumped by resume(): a disable attempt of an older trip must not retry or report. */
  private generation = 0;
  private attempt: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private disabled = false;

  /** @internal Use {@link createRollbackGuard}. */
  constructor(private readonly options: ResolvedGuardOptions) {
    super();
    this.service = options.service;
    this.stage = options.stage;
    this.samples = new SampleWindow(options.window, options.maxP99Ms, options.capacity);
  }

  /** `'tripped'` from a breach until {@link resume}, otherwise `'watching'`. */
  get state(): 'watching' | 'tripped' {
    return this.tripped ? 'tripped' : 'watching';
  }

  /** `true` once the registry accepted disabling the stage for the current trip. */
  get stageDisabled(): boolean {
    return this.disabled;
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

  /**
   * Stops any pending retry, re-enables the stage in the registry and starts a fresh window.
   * Rejects (and stays tripped) when the registry refuses; call it again.
   */
  async resume(): Promise<void> {
    this.generation++;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // A disable still on its way must land before the enable, or it would undo it.
    await this.attempt?.catch(() => undefined);
    this.samples.clear();
    await this.options.registry.setStageDisabled(this.service, this.stage, false);
    this.disabled = false;
    this.tripped = false;
    this.emit('resume');
  }

  /** Calls `setStageDisabled(..., true)`; on failure reports it and retries with backoff while this trip lasts. */
  private disableStage(generation: number, attempts: number, delay: number): void {
    const { registry, logger, registryRetryMs } = this.options;
    // `new Promise` turns a registry that throws synchronously into a rejection like any other.
    const attempt = new Promise<void>((resolve) => resolve(registry.setStageDisabled(this.service, this.stage, true))).then(
      () => {
        if (generation !== this.generation) return;
        this.disabled = true;
        this.emit('disabled', { attempts });
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        const retry = registryRetryMs > 0;
        logger?.error({ service: this.service, stage: this.stage, attempts, retryInMs: retry ? delay : null, err: error },
          `graylane: rollback guard could not disable the stage${retry ? `; retrying in ${delay} ms` : ''}`);
        this.emit('registry-error', error);
        if (!retry) return;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          if (generation === this.generation) this.disableStage(generation, attempts + 1, Math.min(delay * 2, MAX_RETRY_MS));
        }, delay);
        this.retryTimer.unref();
      },
    );
    const tracked: Promise<void> = attempt
      .catch(() => undefined) // a throwing 'disabled' / 'registry-error' listener must not become an unhandled rejection
      .finally(() => {
        if (this.attempt === tracked) this.attempt = undefined;
      });
    this.attempt = tracked;
  }

  private trip(event: RollbackTripEvent): void {
    this.tripped = true;
    this.last = event;
    const { logger, onTrip, maxErrorRate, maxP99Ms } = this.options;
    logger?.warn({ ...event, maxErrorRate, maxP99Ms },
      `graylane: rollback guard disabling ${event.service}/${event.stage}: ${event.reason === 'error-rate'
        ? `error rate ${(event.errorRate * 100).toFixed(2)}% > ${(maxErrorRate * 100).toFixed(2)}%`
        : `p99 ${event.p99Ms.toFixed(0)} ms > ${maxP99Ms} ms`} over ${event.samples} calls in ${event.windowMs} ms`);
    this.disabled = false;
    this.disableStage(this.generation, 1, this.options.registryRetryMs);
    // record() runs on the request path: a faulty listener or hook must not break the caller.
    try {
      this.emit('trip', event);
    } catch {
      // ignored, as below
    }
    try {
      onTrip?.(event);
    } catch {
      // ignored
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
  return new RollbackGuard(resolveGuardOptions(options));
}
