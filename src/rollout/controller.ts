/**
 * The rollout controller: drives a stepped canary ramp stored in a registry — advance after a
 * healthy dwell, abort on a breach, `promoted` at the last step — with one leader per rollout.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { createRollbackGuard, type RollbackGuard, type RollbackTripEvent } from '../observe/rollback-guard.js';
import { SampleWindow } from '../observe/sample-window.js';
import { clipReason, type GrayRolloutAction, type GrayRolloutRecord, type GrayRolloutState } from '../routing/rollout-record.js';
import type { GrayRolloutCampaign } from '../routing/rollout-registry.js';
import { resolveRolloutOptions, type ResolvedRolloutOptions, type RolloutOptions, type RolloutStatus, type RolloutWindow } from './options.js';

const ACTIVE: ReadonlySet<GrayRolloutState> = new Set(['running', 'paused']);

/**
 * The states each operator action applies in: `pause` a running ramp, `resume` a paused one,
 * `abort` (roll back) either, `done` a promoted one. In any other state the action writes nothing.
 */
export const ROLLOUT_ACTION_FROM: Readonly<Record<'pause' | 'resume' | 'abort' | 'done', readonly GrayRolloutState[]>> = Object.freeze({
  pause: ['running'], resume: ['paused'], abort: ['running', 'paused'], done: ['promoted'],
});
/** This process, as decisions name it. */
const BY = (): string => `${hostname()} pid ${process.pid}`;

/** The reason of a guard trip, in words. */
function tripReason(t: RollbackTripEvent, maxErrorRate: number, maxP99Ms: number): string {
  return t.reason === 'error-rate'
    ? `error-rate: ${(t.errorRate * 100).toFixed(2)}% > ${(maxErrorRate * 100).toFixed(2)}% over ${t.samples} calls in ${t.windowMs} ms`
    : `p99-latency: ${t.p99Ms.toFixed(0)} ms > ${maxP99Ms} ms over ${t.samples} calls in ${t.windowMs} ms`;
}

/**
 * One rollout, as seen and driven from this process. Feed it like a rollback guard: pass
 * {@link GrayRollout.guard} to a guard feed (`rollbackGuardClientInterceptor(rollout.guard)` in
 * `graylane/observe/grpc-js`, `rollbackGuardHttpMiddleware`, …).
 *
 * Events (every replica sees them, from the registry's record): `'step'` (the record, after an
 * advance), `'aborted'` ({@link RolloutAbortEvent}), `'promoted'` (the record), `'paused'`,
 * `'resumed'`, `'done'` (the record), `'leader'` (`true` / `false` when this process gains or loses
 * the lead) and `'registry-error'` (an `Error` from the registry; the controller retries on the next tick).
 */
export class GrayRollout extends EventEmitter {
  /** The rollout name. */
  readonly name: string;
  /** The rollback guard analysing the canary's calls (its trip aborts the rollout and disables the stage). */
  readonly guard: RollbackGuard;
  private readonly o: ResolvedRolloutOptions;
  private readonly window: SampleWindow;
  private callsThisStep = 0;
  private stepKey = '';
  private campaign: GrayRolloutCampaign | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  private busy = false;
  private seen: GrayRolloutRecord | undefined;
  private closed = false;
  private lastReport = 0;

  /** @internal Use {@link createRollout}. */
  constructor(options: RolloutOptions) {
    super();
    const o = resolveRolloutOptions(options);
    this.o = o;
    this.name = o.name;
    this.window = new SampleWindow(o.analysis.windowMs, o.analysis.maxP99Ms, 10_000);
    this.guard = createRollbackGuard({
      registry: o.registry, service: o.service, stage: o.stage, window: o.analysis.windowMs, minSamples: o.analysis.minSamples,
      maxErrorRate: o.analysis.maxErrorRate, maxP99Ms: o.analysis.maxP99Ms, now: o.now,
      onTrip: (t) => void this.abort(tripReason(t, o.analysis.maxErrorRate, o.analysis.maxP99Ms)).catch((e: unknown) => this.report(e)),
    });
    // Every call the feeds record also counts for the step (the guard keeps its own window).
    const record = this.guard.record.bind(this.guard);
    this.guard.record = (stage, ok, ms) => {
      if (stage === o.stage && this.guard.state === 'watching') {
        this.window.add(o.now(), ok, ms);
        this.callsThisStep++;
      }
      record(stage, ok, ms);
    };
    this.seen = o.registry.getRollout(o.name);
    this.stepKey = keyOf(this.seen);
  }

  /**
   * Starts a new ramp at the first step — unless one is running or paused, which this process then
   * joins — re-enables the stage, and joins (see {@link join}). Call it once per release (a deploy
   * step, or `graylane rollout start`); replicas call `join()`. Resolves with the record in force.
   *
   * @param options.join - campaign and drive from this process after starting. Default `true`
   *   (`false` for a one-shot tool such as the CLI, which leaves the driving to the replicas).
   */
  async start(options: { readonly join?: boolean } = {}): Promise<GrayRolloutRecord | undefined> {
    const { registry, name, steps } = this.o;
    let fresh = false;
    const record = await registry.updateRollout(name, (cur) => {
      if (cur !== undefined && ACTIVE.has(cur.state)) return undefined;
      fresh = true;
      const now = this.o.now();
      return {
        service: this.o.service, stage: this.o.stage, steps, step: 0, percent: steps[0]!, state: 'running',
        minDwellMs: this.o.minDwellMs, minCalls: this.o.minCalls, startedAt: now, stepStartedAt: now, updatedAt: now,
        decision: { action: 'start', reason: `started at ${steps[0]}%`, at: now, by: BY() },
      };
    });
    if (fresh) await this.guard.resume(); // re-enables the stage and clears the window of an earlier ramp
    if (options.join !== false) this.join();
    return record;
  }

  /** Campaigns for the lead and, while leader, drives the ramp every `tickMs`. Idempotent; needs no running ramp. */
  join(): void {
    if (this.closed || this.campaign !== undefined) return;
    this.unwatch = this.o.registry.watchRollout(this.name, (r) => this.observe(r));
    this.campaign = this.o.registry.campaignRollout(this.name, {
      onElected: () => this.emit('leader', true),
      onLost: () => this.emit('leader', false),
    }, this.o.leaseTtlSeconds === undefined ? undefined : { ttlSeconds: this.o.leaseTtlSeconds });
    this.timer = setInterval(() => void this.tick(), this.o.tickMs);
    this.timer.unref();
  }

  /** Holds the current share (no advance) until {@link resume}. Any process may call it. */
  pause(reason = 'paused by the operator'): Promise<GrayRolloutRecord | undefined> {
    return this.transition(ROLLOUT_ACTION_FROM.pause, 'paused', 'pause', reason);
  }

  /** Resumes a paused ramp; the dwell of the current step starts again. */
  resume(reason = 'resumed by the operator'): Promise<GrayRolloutRecord | undefined> {
    return this.transition(ROLLOUT_ACTION_FROM.resume, 'running', 'resume', reason);
  }

  /** Marks a promoted rollout done (the build was promoted to stable): share 0. */
  complete(reason = 'marked done by the operator'): Promise<GrayRolloutRecord | undefined> {
    return this.transition(ROLLOUT_ACTION_FROM.done, 'done', 'done', reason);
  }

  /**
   * Aborts a running or paused ramp: disables the stage in the registry (routing falls back at
   * once), then sets the share to 0 with `reason`. Any process may call it; a guard trip calls it.
   */
  async abort(reason = 'aborted by the operator'): Promise<GrayRolloutRecord | undefined> {
    const current = this.o.registry.getRollout(this.name);
    if (current !== undefined && !ROLLOUT_ACTION_FROM.abort.includes(current.state)) return current;
    try {
      await this.o.registry.setStageDisabled(this.o.service, this.o.stage, true);
    } catch (e) {
      this.report(e); // still take the share to 0 below
    }
    return this.transition(ROLLOUT_ACTION_FROM.abort, 'aborted', 'abort', reason, { percent: 0 });
  }

  /** The record, this process's window numbers, the calls seen on this step and the time to the next step. */
  status(): RolloutStatus {
    const record = this.o.registry.getRollout(this.name);
    const now = this.o.now();
    this.window.evict(now);
    const c = this.window.counts();
    const win: RolloutWindow = { windowMs: this.o.analysis.windowMs, calls: c.samples, errors: c.errors, errorRate: c.samples === 0 ? 0 : c.errors / c.samples, p99Ms: this.window.p99() };
    if (keyOf(record) !== this.stepKey) this.newStep(record);
    return {
      name: this.name, record, leader: this.campaign?.leader ?? false, window: win, callsThisStep: this.callsThisStep,
      nextStepInMs: record?.state === 'running' ? Math.max(0, record.stepStartedAt + record.minDwellMs - now) : undefined,
      problem: this.o.registry.getRolloutError(this.name)?.message,
    };
  }

  /** Stops driving (resigns the lead); the record stays where it is for another replica. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.unwatch?.();
    await this.campaign?.resign();
  }

  /** The leader's look at the step: abort on a breach, advance after a healthy dwell. */
  private async tick(): Promise<void> {
    if (this.busy || this.closed || this.campaign?.leader !== true) return;
    this.busy = true;
    try {
      const s = this.status();
      const r = s.record;
      if (r === undefined || r.state !== 'running' || r.service !== this.o.service || r.stage !== this.o.stage) return;
      const trip = this.guard.lastTrip;
      if (this.guard.state === 'tripped' && trip !== undefined) return void (await this.abort(tripReason(trip, this.o.analysis.maxErrorRate, this.o.analysis.maxP99Ms)));
      if (s.nextStepInMs! > 0 || s.callsThisStep < r.minCalls) return void (await this.publish(s));
      const verdict = await this.runCheck(s);
      if (verdict !== undefined) return void (await this.abort(verdict));
      const key = keyOf(r);
      const last = r.step === r.steps.length - 1;
      const reason = `step ${r.step + 1}/${r.steps.length} (${r.percent}%) healthy: ${s.callsThisStep} calls, error rate ${(s.window.errorRate * 100).toFixed(2)}%, p99 ${s.window.p99Ms.toFixed(0)} ms`;
      await this.o.registry.updateRollout(this.name, (cur) => {
        if (cur === undefined || cur.state !== 'running' || keyOf(cur) !== key) return undefined; // changed meanwhile
        const now = this.o.now();
        const window = { calls: s.window.calls, errors: s.window.errors, p99Ms: s.window.p99Ms, windowMs: s.window.windowMs, callsThisStep: s.callsThisStep, at: now };
        if (last) return { ...cur, window, state: 'promoted', updatedAt: now, decision: { action: 'promote', reason: clipReason(reason), at: now, by: BY() } };
        const step = cur.step + 1;
        return { ...cur, window, step, percent: cur.steps[step]!, stepStartedAt: now, updatedAt: now, decision: { action: 'advance', reason: clipReason(`${reason}; now ${cur.steps[step]}%`), at: now, by: BY() } };
      });
    } catch (e) {
      this.report(e);
    } finally {
      this.busy = false;
    }
  }

  /** Publishes the leader's window numbers into the record every `reportMs` (no event: `updatedAt` is kept). */
  private async publish(s: RolloutStatus): Promise<void> {
    const now = this.o.now();
    if (now - this.lastReport < this.o.reportMs) return;
    this.lastReport = now;
    const key = this.stepKey;
    const window = { calls: s.window.calls, errors: s.window.errors, p99Ms: s.window.p99Ms, windowMs: s.window.windowMs, callsThisStep: s.callsThisStep, at: now };
    await this.o.registry.updateRollout(this.name, (cur) => (cur === undefined || cur.state !== 'running' || keyOf(cur) !== key ? undefined : { ...cur, window }));
  }

  /** `undefined` when the user check passes, else the abort reason. */
  private async runCheck(s: RolloutStatus): Promise<string | undefined> {
    if (this.o.check === undefined) return undefined;
    try {
      const v = await this.o.check(s);
      if (v === undefined || v === true) return undefined;
      return clipReason(typeof v === 'string' ? `check: ${v}` : 'check: returned false');
    } catch (e) {
      return clipReason(`check threw: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  private async transition(from: readonly GrayRolloutState[], to: GrayRolloutState, action: GrayRolloutAction, reason: string, extra: { percent?: number } = {}): Promise<GrayRolloutRecord | undefined> {
    return this.o.registry.updateRollout(this.name, (cur) => {
      if (cur === undefined || !from.includes(cur.state)) return undefined;
      const now = this.o.now();
      const percent = to === 'done' ? 0 : (extra.percent ?? cur.percent);
      return { ...cur, state: to, percent, updatedAt: now, ...(to === 'running' ? { stepStartedAt: now } : {}), decision: { action, reason: clipReason(reason), at: now, by: BY() } };
    });
  }

  /** Turns record changes (from any process) into events. */
  private observe(r: GrayRolloutRecord | undefined): void {
    const before = this.seen;
    this.seen = r;
    if (keyOf(r) !== this.stepKey) this.newStep(r);
    if (r === undefined || (before !== undefined && before.updatedAt === r.updatedAt && before.state === r.state)) return;
    const fire = (event: string, arg: unknown): void => {
      try {
        this.emit(event, arg);
      } catch {
        // A throwing listener must not stop the controller.
      }
    };
    if (r.state !== before?.state || r.startedAt !== before.startedAt) {
      if (r.state === 'aborted') fire('aborted', { name: this.name, reason: r.decision?.reason ?? 'aborted', record: r });
      else if (r.state === 'promoted') fire('promoted', r);
      else if (r.state === 'paused') fire('paused', r);
      else if (r.state === 'done') fire('done', r);
      else if (r.state === 'running' && before?.state === 'paused' && r.startedAt === before.startedAt) fire('resumed', r);
    }
    if (r.state === 'running' && before !== undefined && before.startedAt === r.startedAt && r.step > before.step) fire('step', r);
  }

  private newStep(r: GrayRolloutRecord | undefined): void {
    this.stepKey = keyOf(r);
    this.callsThisStep = 0;
  }

  private report(e: unknown): void {
    if (this.listenerCount('registry-error') > 0) this.emit('registry-error', e instanceof Error ? e : new Error(String(e)));
  }
}

/** Identifies one step of one ramp (a resumed step counts as new: its dwell starts again). */
function keyOf(r: GrayRolloutRecord | undefined): string {
  return r === undefined ? '' : `${r.startedAt}:${r.step}:${r.stepStartedAt}`;
}

/**
 * Creates the controller of rollout `name`: steps its share (the `rollout.rollout` coloring rules
 * read it through `rolloutPercentIn(registry)`), advancing after `minDwellMs` and `minCalls` on a
 * healthy step and aborting on a breach (error rate or p99 over the analysis window, or a failed
 * `check`): the stage is disabled in the registry and the share set to 0. At the last step it is
 * `promoted`. Run one per replica: only the elected leader advances (etcd: a lease-based election;
 * file registry: a lock file — run the controller in one process per registry file); a breach seen
 * by any replica aborts. Nothing runs until `start()` or `join()`.
 *
 * @throws GrayConfigError for an invalid spec (non-increasing steps, a step above 100 %, a zero dwell, …), naming what to fix.
 * @example
 * const rollout = createRollout({ registry, name: 'pricing-v2', service: 'shop.Price', steps: [1, 5, 25, 50, 100], minDwellMs: 600_000, minCalls: 200 });
 * const client = new PriceClient(target, creds, { interceptors: [rollbackGuardClientInterceptor(rollout.guard)] });
 * rollout.on('aborted', (e) => log.warn(e, 'rollout aborted'));
 * await rollout.start(); // or rollout.join() on every other replica
 */
export function createRollout(options: RolloutOptions): GrayRollout {
  return new GrayRollout(options);
}
