/**
 * The rollout record a registry stores (file: `"rollouts": { "<name>": {...} }`, etcd:
 * `<prefix>/rollouts/<name>`): the shared state of one progressive rollout, validated here for
 * both registries and for `createRollout`.
 * @packageDocumentation
 */
import { GrayConfigError } from '../core/errors.js';
import { quote, requireRegistryStage, requireService } from './validate.js';

/** Where a rollout is: see {@link GrayRolloutRecord.state}. */
export type GrayRolloutState = 'running' | 'paused' | 'aborted' | 'promoted' | 'done';

/** What a rollout controller (or an operator) decided last. */
export type GrayRolloutAction = 'start' | 'advance' | 'abort' | 'pause' | 'resume' | 'promote' | 'done';

/** The last decision of a rollout and why. */
export interface GrayRolloutDecision {
  /** What was decided. */
  readonly action: GrayRolloutAction;
  /** Why, in words, e.g. `'error rate 3.20% > 1.00% over 120 calls in 2000 ms'` (at most 512 characters). */
  readonly reason: string;
  /** When, in ms since the epoch. */
  readonly at: number;
  /** Who decided, e.g. `'host-1 pid 4242'` (at most 256 characters). Default: not recorded. */
  readonly by?: string;
}

/** The leader's analysis numbers, as last published into the record (for `graylane rollout status`). */
export interface GrayRolloutWindowReport {
  /** Canary calls in the leader's analysis window. */
  readonly calls: number;
  /** Failed calls among them. */
  readonly errors: number;
  /** The window's p99 latency, in ms. */
  readonly p99Ms: number;
  /** The window length, in ms. */
  readonly windowMs: number;
  /** Canary calls the leader saw on the current step. */
  readonly callsThisStep: number;
  /** When the numbers were taken, in ms since the epoch. */
  readonly at: number;
}

/** The shared state of one rollout, as stored in a registry. Immutable. */
export interface GrayRolloutRecord {
  /** Service whose stage is ramped, e.g. `'shop.Price'`. */
  readonly service: string;
  /** The stage being ramped, e.g. `'canary'`. */
  readonly stage: string;
  /** The ramp's shares in percent, strictly increasing, each in (0, 100], e.g. `[1, 5, 25, 50, 100]`. */
  readonly steps: readonly number[];
  /** Index of the current step in `steps`. */
  readonly step: number;
  /** The share edges color now, from 0 to 100 (0 once aborted or done). */
  readonly percent: number;
  /**
   * `'running'` (the controller advances after each healthy step), `'paused'` (share held),
   * `'aborted'` (share 0, stage disabled), `'promoted'` (100 % reached healthy; promote the build)
   * or `'done'` (the operator marked the promotion done; share 0).
   */
  readonly state: GrayRolloutState;
  /** Shortest time on each step before it may advance, in ms. */
  readonly minDwellMs: number;
  /** Fewest canary calls the controller must see on a step before it may advance. */
  readonly minCalls: number;
  /** When this ramp started (ms since the epoch); identifies the ramp. */
  readonly startedAt: number;
  /** When the current step started (or was resumed), in ms since the epoch. */
  readonly stepStartedAt: number;
  /** Last change, in ms since the epoch. */
  readonly updatedAt: number;
  /** The last decision and why. Default: none. */
  readonly decision?: GrayRolloutDecision;
  /** The leader's window numbers, refreshed every few seconds while it drives. Default: none. */
  readonly window?: GrayRolloutWindowReport;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const RESERVED: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const STATES: ReadonlySet<string> = new Set(['running', 'paused', 'aborted', 'promoted', 'done']);
const ACTIONS: ReadonlySet<string> = new Set(['start', 'advance', 'abort', 'pause', 'resume', 'promote', 'done']);
/** Most steps a ramp may have. */
export const MAX_ROLLOUT_STEPS = 20;
const MAX_REASON = 512;

/** Throws unless `name` is a rollout name (letters, digits, `_`, `.`, `-`, at most 128; not an object-model key). */
export function requireRolloutName(name: unknown, where: string): string {
  if (typeof name !== 'string' || !NAME.test(name) || RESERVED.has(name)) {
    throw new GrayConfigError(`graylane: ${where}: rollout name ${quote(name)} is not valid; use letters, digits, '_', '.' or '-' (at most 128 characters), e.g. 'pricing-v2'.`);
  }
  return name;
}

/** Throws unless `steps` is 1 … 20 strictly increasing shares in (0, 100]; says what to fix. */
export function requireRolloutSteps(steps: unknown, where: string): readonly number[] {
  if (!Array.isArray(steps) || steps.length === 0 || steps.length > MAX_ROLLOUT_STEPS) {
    throw new GrayConfigError(`graylane: ${where}: steps must be a list of 1 to ${MAX_ROLLOUT_STEPS} percentages, e.g. [1, 5, 25, 50, 100].`);
  }
  steps.forEach((s: unknown, i) => {
    if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0 || s > 100) {
      throw new GrayConfigError(`graylane: ${where}: steps[${i}] is ${quote(s)}; every step must be a percentage above 0 and at most 100.`);
    }
    if (i > 0 && s <= (steps[i - 1] as number)) {
      throw new GrayConfigError(`graylane: ${where}: steps must increase: steps[${i}] (${s}) is not above steps[${i - 1}] (${steps[i - 1] as number}); e.g. [1, 5, 25, 50, 100].`);
    }
  });
  return Object.freeze([...(steps as number[])]);
}

function field(value: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(value, key) ? value[key] : undefined;
}

function time(value: unknown, name: string, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new GrayConfigError(`graylane: ${where}: ${name} must be a time in ms since the epoch.`);
  return value;
}

/** Validates a stored record (untrusted registry content) and returns a frozen copy. Throws `GrayConfigError` naming the bad field. */
export function normalizeRolloutRecord(raw: unknown, where: string): GrayRolloutRecord {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new GrayConfigError(`graylane: ${where} must be an object { service, stage, steps, step, percent, state, ... }.`);
  const value = raw as Record<string, unknown>;
  const service = requireService(field(value, 'service'), where);
  const stage = requireRegistryStage(field(value, 'stage'), where);
  const steps = requireRolloutSteps(field(value, 'steps'), where);
  const step = field(value, 'step');
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0 || step >= steps.length) throw new GrayConfigError(`graylane: ${where}: step must be an index into steps (0 to ${steps.length - 1}).`);
  const percent = field(value, 'percent');
  if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) throw new GrayConfigError(`graylane: ${where}: percent must be a number from 0 to 100.`);
  const state = field(value, 'state');
  if (typeof state !== 'string' || !STATES.has(state)) throw new GrayConfigError(`graylane: ${where}: state ${quote(state)} must be one of ${[...STATES].join(', ')}.`);
  const minDwellMs = field(value, 'minDwellMs');
  if (typeof minDwellMs !== 'number' || !Number.isFinite(minDwellMs) || minDwellMs <= 0) throw new GrayConfigError(`graylane: ${where}: minDwellMs must be a positive number of ms.`);
  const minCalls = field(value, 'minCalls');
  if (typeof minCalls !== 'number' || !Number.isInteger(minCalls) || minCalls < 0) throw new GrayConfigError(`graylane: ${where}: minCalls must be a non-negative integer.`);
  let decision: GrayRolloutDecision | undefined;
  const d = field(value, 'decision');
  if (d !== undefined) {
    if (typeof d !== 'object' || d === null || Array.isArray(d)) throw new GrayConfigError(`graylane: ${where}: decision must be an object { action, reason, at }.`);
    const action = field(d as Record<string, unknown>, 'action');
    const reason = field(d as Record<string, unknown>, 'reason');
    if (typeof action !== 'string' || !ACTIONS.has(action)) throw new GrayConfigError(`graylane: ${where}: decision.action ${quote(action)} must be one of ${[...ACTIONS].join(', ')}.`);
    if (typeof reason !== 'string' || reason.length > MAX_REASON) throw new GrayConfigError(`graylane: ${where}: decision.reason must be a string of at most ${MAX_REASON} characters.`);
    const by = field(d as Record<string, unknown>, 'by');
    if (by !== undefined && (typeof by !== 'string' || by.length > 256)) throw new GrayConfigError(`graylane: ${where}: decision.by must be a string of at most 256 characters.`);
    decision = Object.freeze({ action: action as GrayRolloutAction, reason, at: time(field(d as Record<string, unknown>, 'at'), 'decision.at', where), ...(by === undefined ? {} : { by }) });
  }
  let window: GrayRolloutWindowReport | undefined;
  const w = field(value, 'window');
  if (w !== undefined) {
    if (typeof w !== 'object' || w === null || Array.isArray(w)) throw new GrayConfigError(`graylane: ${where}: window must be an object { calls, errors, p99Ms, windowMs, callsThisStep, at }.`);
    const n = (key: string): number => {
      const v = field(w as Record<string, unknown>, key);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new GrayConfigError(`graylane: ${where}: window.${key} must be a non-negative number.`);
      return v;
    };
    window = Object.freeze({ calls: n('calls'), errors: n('errors'), p99Ms: n('p99Ms'), windowMs: n('windowMs'), callsThisStep: n('callsThisStep'), at: n('at') });
  }
  return Object.freeze({
    service, stage, steps, step, percent, state: state as GrayRolloutState, minDwellMs, minCalls,
    startedAt: time(field(value, 'startedAt'), 'startedAt', where),
    stepStartedAt: time(field(value, 'stepStartedAt'), 'stepStartedAt', where),
    updatedAt: time(field(value, 'updatedAt'), 'updatedAt', where),
    ...(decision === undefined ? {} : { decision }),
    ...(window === undefined ? {} : { window }),
  });
}

/** A decision reason cut to what a record stores. */
export function clipReason(reason: string): string {
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
}
