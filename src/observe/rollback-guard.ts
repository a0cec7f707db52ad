/**
 * The rollback guard: watches one stage of one service over a sliding window and, when its error
 * rate or p99 latency breaks the limits, disables that stage in the registry so routers fall back.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import { SampleWindow, p99Exceeds } from './sample-window.js';
import { resolveGuardOptions, type ResolvedGuardOptions, type RollbackGuardOptions, type RollbackTripEvent } from './rollback-options.js';

export type { RollbackGuardOptions, RollbackLogger, RollbackTarget, RollbackTripEvent } from './rollback-options.js';

/**
 * Watches one stage. Feed it with {@link RollbackGuard.record} (or `rollbackGuardInterceptor`).
 * Events: `'trip'` ({@link RollbackTripEvent}), `'resume'` (no argument) and `'registry-error'`
 * (the `Error` from `setStageDisabled`; the guard stays tripped).
 */
export class RollbackGuard extends EventEmitter {
  /** The service whose stage is watched. */
  readonly service: string;
  /** The stage watched and disabled on a trip (default `'canary'`). */
  readonly stage: string;
  private readonly samples: SampleWindow;
  private tripped = false;
  private last: RollbackTripEvent | undefined;

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
  return new RollbackGuard(resolveGuardOptions(options));
}
