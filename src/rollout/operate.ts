/**
 * An operator's action on a stored rollout — pause, resume, abort (roll back: stage disabled, share
 * 0) or done — as `graylane rollout` and the dashboard take it: a controller made from the record
 * (nothing joined, nothing driven) makes the one transition, and the caller learns whether it applied.
 * @packageDocumentation
 */
import type { GrayRolloutRecord, GrayRolloutState } from '../routing/rollout-record.js';
import type { GrayRolloutRegistry } from '../routing/rollout-registry.js';
import { createRollout, ROLLOUT_ACTION_FROM } from './controller.js';

/** What an operator may do to a stored rollout. */
export type RolloutOperatorAction = keyof typeof ROLLOUT_ACTION_FROM;

/** The state each action leads to. */
const TO: Readonly<Record<RolloutOperatorAction, GrayRolloutState>> = { pause: 'paused', resume: 'running', abort: 'aborted', done: 'done' };

/** What {@link operateRollout} did. */
export interface RolloutOperation {
  /** The record before, as this process had it. */
  readonly before: GrayRolloutRecord;
  /** The record in force afterwards. */
  readonly record: GrayRolloutRecord | undefined;
  /** `true` when the action applied; `false` when the rollout was in a state it does not apply in (nothing written). */
  readonly applied: boolean;
}

/**
 * Takes `action` on rollout `name` of `registry`, with `reason` as the decision's why (default: the
 * controller's, e.g. `'paused by the operator'`). Resolves `undefined` when there is no such rollout.
 * `abort` first disables the stage in the service's rules, then sets the share to 0.
 * @throws what the registry throws when it cannot be written.
 */
export async function operateRollout(registry: GrayRolloutRegistry, name: string, action: RolloutOperatorAction, reason?: string): Promise<RolloutOperation | undefined> {
  const before = registry.getRollout(name);
  if (before === undefined) return undefined;
  const rollout = createRollout({ registry, name, service: before.service, stage: before.stage, minDwellMs: before.minDwellMs });
  const record = action === 'pause' ? await rollout.pause(reason) : action === 'resume' ? await rollout.resume(reason)
    : action === 'abort' ? await rollout.abort(reason) : await rollout.complete(reason);
  const applied = ROLLOUT_ACTION_FROM[action].includes(before.state) && record?.state === TO[action]
    && (record.updatedAt !== before.updatedAt || record.state !== before.state);
  return { before, record, applied };
}
