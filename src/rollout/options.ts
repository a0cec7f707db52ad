/**
 * Options, events and status of `createRollout`, and their validation: an invalid spec is refused
 * with a `GrayConfigError` that says what to fix.
 * @packageDocumentation
 */
import { GrayConfigError } from '../core/errors.js';
import { isRolloutRegistry, type GrayRolloutRegistry } from '../routing/rollout-registry.js';
import { requireRolloutName, requireRolloutSteps, type GrayRolloutRecord } from '../routing/rollout-record.js';
import { requireRegistryStage, requireService } from '../routing/validate.js';

/** The analysis of every step: the rollback guard's window over the canary's calls. */
export interface RolloutAnalysisOptions {
  /** Sliding window length in ms. Default `30_000`. */
  readonly windowMs?: number;
  /** Fewest calls in the window before the limits are checked. Default `20`. */
  readonly minSamples?: number;
  /** Abort when failed / total calls in the window exceeds this. Default `0.005` (0.5 %). */
  readonly maxErrorRate?: number;
  /** Abort when the window's p99 latency exceeds this many ms. Default `2000`. */
  readonly maxP99Ms?: number;
}

/**
 * A user check run before each advance, with the status of the step that is about to end:
 * `true` (or `undefined`) lets the ramp advance; `false` or a string (the reason) aborts it; a throw
 * or a rejection aborts it too (with the error's message).
 */
export type RolloutCheck = (status: RolloutStatus) => boolean | string | undefined | Promise<boolean | string | undefined>;

/** Options of {@link createRollout}. */
export interface RolloutOptions {
  /** Registry holding the rollout record and the stage rules: `createFileRegistry` or `createEtcdRegistry`. Required. */
  readonly registry: GrayRolloutRegistry;
  /** Rollout name, as coloring rules name it (`rollout: { rollout: name, header }`), e.g. `'pricing-v2'`. Required. */
  readonly name: string;
  /** Service whose stage is ramped (the registry's service name), e.g. `'shop.Price'`. Required. */
  readonly service: string;
  /** The stage ramped, disabled on abort. Default `'canary'`. */
  readonly stage?: string;
  /**
   * Shares in percent, strictly increasing, each above 0 and at most 100, for ramps this controller
   * starts (`start()`); a ramp started elsewhere (the CLI) keeps its own. Default `[1, 5, 25, 50, 100]`.
   */
  readonly steps?: readonly number[];
  /** Shortest time on each step before it may advance, in ms (for ramps this controller starts). Default `300_000` (5 min). */
  readonly minDwellMs?: number;
  /** Fewest canary calls this controller must see on a step before it advances (for ramps it starts). Default `100`. */
  readonly minCalls?: number;
  /** Step analysis (error rate and p99 over a sliding window). Default: the rollback guard's defaults. */
  readonly analysis?: RolloutAnalysisOptions;
  /** Extra check before each advance (see {@link RolloutCheck}). Default: none. */
  readonly check?: RolloutCheck;
  /** How often the leader looks at the step, in ms. Default `1000` (at most a quarter of `minDwellMs`, at least 10). */
  readonly tickMs?: number;
  /** How often the leader publishes its window numbers into the record (for `graylane rollout status`), in ms. Default `5000`. */
  readonly reportMs?: number;
  /** Lease TTL of the leader election, in seconds (etcd: whole seconds). Default: the registry's (etcd: its `leaseTtlSeconds`; file: 10). */
  readonly leaseTtlSeconds?: number;
  /** Clock in ms since the epoch (shared by every replica through the record). Default `Date.now`. */
  readonly now?: () => number;
}

/** The numbers of the analysis window at one moment. */
export interface RolloutWindow {
  /** Window length in ms. */
  readonly windowMs: number;
  /** Canary calls in the window. */
  readonly calls: number;
  /** Failed calls among them. */
  readonly errors: number;
  /** `errors / calls` (0 without calls). */
  readonly errorRate: number;
  /** Nearest-rank p99 latency of the window, in ms (0 without calls). */
  readonly p99Ms: number;
}

/** What {@link GrayRollout.status} reports. */
export interface RolloutStatus {
  /** The rollout name. */
  readonly name: string;
  /** The record in the registry (`undefined` before any start). */
  readonly record: GrayRolloutRecord | undefined;
  /** `true` while this process drives the rollout. */
  readonly leader: boolean;
  /** This process's analysis window. */
  readonly window: RolloutWindow;
  /** Canary calls this process saw on the current step. */
  readonly callsThisStep: number;
  /** Time until the dwell of the current step is over, in ms (0 once over; `undefined` unless running). */
  readonly nextStepInMs: number | undefined;
  /** Why the registry's stored record was refused (its last good record is in force), if it was. */
  readonly problem: string | undefined;
}

/** Passed with the `'aborted'` event. */
export interface RolloutAbortEvent {
  /** The rollout name. */
  readonly name: string;
  /** Why it was aborted, e.g. `'error-rate: 12.00% > 1.00% over 25 calls in 2000 ms'`. */
  readonly reason: string;
  /** The record after the abort (state `'aborted'`, percent 0). */
  readonly record: GrayRolloutRecord;
}

/** Options after validation. Internal. */
export interface ResolvedRolloutOptions {
  readonly registry: GrayRolloutRegistry;
  readonly name: string;
  readonly service: string;
  readonly stage: string;
  readonly steps: readonly number[];
  readonly minDwellMs: number;
  readonly minCalls: number;
  readonly analysis: Required<RolloutAnalysisOptions>;
  readonly check: RolloutCheck | undefined;
  readonly tickMs: number;
  readonly reportMs: number;
  readonly leaseTtlSeconds: number | undefined;
  readonly now: () => number;
}

function fail(problem: string): never {
  throw new GrayConfigError(`graylane/rollout: createRollout: ${problem}.`);
}

function positive(value: unknown, name: string, fallback: number, integer: boolean, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || (allowZero ? value < 0 : value <= 0) || (integer && !Number.isInteger(value))) {
    fail(`${name} must be a ${integer ? 'whole ' : ''}number ${allowZero ? '>= 0' : '> 0'}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validates options and fills in defaults. @throws GrayConfigError. Internal. */
export function resolveRolloutOptions(options: RolloutOptions): ResolvedRolloutOptions {
  if (typeof options !== 'object' || options === null) fail('pass an options object { registry, name, service, steps, minDwellMs, ... }');
  if (!isRolloutRegistry(options.registry)) fail('`registry` must store rollouts: createFileRegistry or createEtcdRegistry from graylane/routing');
  const where = 'graylane/rollout: createRollout';
  const rethrow = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      fail((e as Error).message.replace(/^graylane: [^:]+: /, '').replace(/\.$/, ''));
    }
  };
  rethrow(() => requireRolloutName(options.name, where));
  rethrow(() => requireService(options.service, where));
  const stage = options.stage ?? 'canary';
  rethrow(() => requireRegistryStage(stage, where));
  let steps: readonly number[] = [1, 5, 25, 50, 100];
  if (options.steps !== undefined) rethrow(() => (steps = requireRolloutSteps(options.steps, where)));
  if (options.minDwellMs === 0) fail('minDwellMs is 0; every step needs a dwell time to be analysed: give at least a few seconds (e.g. 60000), or 1 for tests');
  const minDwellMs = positive(options.minDwellMs, 'minDwellMs', 300_000, false);
  const minCalls = positive(options.minCalls, 'minCalls', 100, true, true);
  const a = options.analysis ?? {};
  if (typeof a !== 'object' || a === null) fail('analysis must be an object { windowMs?, minSamples?, maxErrorRate?, maxP99Ms? }');
  const analysis = {
    windowMs: positive(a.windowMs, 'analysis.windowMs', 30_000, false),
    minSamples: positive(a.minSamples, 'analysis.minSamples', 20, true),
    maxErrorRate: positive(a.maxErrorRate, 'analysis.maxErrorRate', 0.005, false, true),
    maxP99Ms: positive(a.maxP99Ms, 'analysis.maxP99Ms', 2000, false),
  };
  if (analysis.maxErrorRate >= 1) fail(`analysis.maxErrorRate is a fraction below 1 (0.01 is 1 %), got ${analysis.maxErrorRate}`);
  if (options.check !== undefined && typeof options.check !== 'function') fail('check must be a function (status) => boolean | string');
  const tickMs = positive(options.tickMs, 'tickMs', Math.max(10, Math.min(1000, Math.floor(minDwellMs / 4))), false);
  const reportMs = positive(options.reportMs, 'reportMs', 5000, false);
  const leaseTtlSeconds = options.leaseTtlSeconds === undefined ? undefined : positive(options.leaseTtlSeconds, 'leaseTtlSeconds', 10, true);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') fail('now must be a function returning ms since the epoch');
  return { registry: options.registry, name: options.name, service: options.service, stage, steps, minDwellMs, minCalls, analysis, check: options.check, tickMs, reportMs, leaseTtlSeconds, now };
}
