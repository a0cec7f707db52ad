/**
 * The rollout panel's one input: {@link readRollouts} reads the rollout records a registry stores
 * (`listRollouts()` / `getRollout(name)`, graylane/rollout's registry API) and returns `[]` for a
 * registry without them, with the actions the page may offer on each. Nothing here invents rollout state.
 * @packageDocumentation
 */
import { ROLLOUT_ACTION_FROM } from '../rollout/controller.js';

/** The rollout actions the dashboard offers: `abort` is the roll back (stage disabled, share 0). */
export const DASHBOARD_ROLLOUT_ACTIONS = ['pause', 'resume', 'abort'] as const;
/** One of {@link DASHBOARD_ROLLOUT_ACTIONS}. */
export type DashboardRolloutAction = (typeof DASHBOARD_ROLLOUT_ACTIONS)[number];

/** What the dashboard shows of one rollout. */
export interface DashboardRollout {
  /** Rollout name. */
  readonly name: string;
  /** Service whose stage is ramped. */
  readonly service: string;
  /** The stage being ramped. */
  readonly stage: string;
  /** `running`, `paused`, `aborted`, `promoted` or `done`, as stored. */
  readonly state: string;
  /** Share colored now, in percent. */
  readonly percent: number;
  /** Index of the current step. */
  readonly step: number;
  /** The ramp's shares in percent. */
  readonly steps: readonly number[];
  /** Share of the next step, or `undefined` on the last. */
  readonly next: number | undefined;
  /** The last decision and why, when recorded. */
  readonly decision: { readonly action: string; readonly reason: string; readonly at: number } | undefined;
  /** The actions that apply in its state (`pause` when running, `resume` when paused, `abort` in both); the page offers them only with a token. */
  readonly actions: readonly DashboardRolloutAction[];
}

interface RolloutSource {
  listRollouts(): string[];
  getRollout(name: string): unknown;
}

const MAX_ROLLOUTS = 100;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, 512) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function toRollout(name: string, raw: unknown): DashboardRollout | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const service = str(r.service);
  const stage = str(r.stage);
  const state = str(r.state);
  const percent = num(r.percent);
  const step = num(r.step);
  const steps = Array.isArray(r.steps) ? r.steps.slice(0, 100).map(num).filter((s): s is number => s !== undefined) : undefined;
  if (service === undefined || stage === undefined || state === undefined || percent === undefined || step === undefined || steps === undefined) return undefined;
  const d = r.decision as Record<string, unknown> | undefined;
  const action = str(d?.action);
  const reason = str(d?.reason);
  const at = num(d?.at);
  return {
    name, service, stage, state, percent, step, steps,
    next: steps[step + 1],
    decision: action !== undefined && reason !== undefined && at !== undefined ? { action, reason, at } : undefined,
    actions: DASHBOARD_ROLLOUT_ACTIONS.filter((a) => (ROLLOUT_ACTION_FROM[a] as readonly string[]).includes(state)),
  };
}

/** The rollouts `registry` stores (at most 100, by name), or `[]` when it stores none or cannot. Never throws. */
export function readRollouts(registry: unknown): DashboardRollout[] {
  const source = registry as Partial<RolloutSource> | null;
  if (typeof source !== 'object' || source === null || typeof source.listRollouts !== 'function' || typeof source.getRollout !== 'function') return [];
  try {
    const names = source.listRollouts();
    if (!Array.isArray(names)) return [];
    return names.filter((n): n is string => typeof n === 'string').sort().slice(0, MAX_ROLLOUTS)
      .map((name) => toRollout(name, source.getRollout!(name)))
      .filter((r): r is DashboardRollout => r !== undefined);
  } catch {
    return [];
  }
}
