/**
 * What a registry offers progressive rollouts (file and etcd registries implement it): rollout
 * records read from memory, atomic updates, and a leader election so one controller drives each
 * rollout; plus `rolloutPercentIn`, the edge's lookup of a rollout's current share.
 * @packageDocumentation
 */
import { GrayConfigError } from '../core/errors.js';
import type { GrayRolloutRecord } from './rollout-record.js';
import type { GrayRegistry } from './types.js';

/** Callbacks of {@link GrayRolloutRegistry.campaignRollout}. */
export interface GrayRolloutCampaignHandlers {
  /** Called when this process becomes the rollout's leader. */
  onElected(): void;
  /** Called when this process stops being the leader without resigning (lease lost, lock taken over); the campaign goes on. */
  onLost(error: Error): void;
}

/** A running campaign for a rollout's leadership. */
export interface GrayRolloutCampaign {
  /** `true` while this process is the leader. */
  readonly leader: boolean;
  /** Stops campaigning and gives up the leadership if held. Idempotent. */
  resign(): Promise<void>;
}

/** A registry that stores rollout records (the file and etcd registries of graylane/routing). */
export interface GrayRolloutRegistry extends GrayRegistry {
  /** The record of rollout `name` from the local copy (no I/O), or `undefined`. Never throws. */
  getRollout(name: string): GrayRolloutRecord | undefined;
  /** Why the stored value of `name` was refused (its last good record is served), or `undefined` when it is fine. */
  getRolloutError(name: string): Error | undefined;
  /** Names of every rollout in the registry. */
  listRollouts(): string[];
  /** Calls `listener` (asynchronously) after each change of rollout `name`. @returns a function that removes it. */
  watchRollout(name: string, listener: (record: GrayRolloutRecord | undefined) => void): () => void;
  /**
   * Atomically replaces rollout `name`: `update` gets the stored record (the last good one when the
   * stored value is corrupted) and returns the next one, or `undefined` to leave it unchanged. It may
   * be called more than once under concurrent writers, so it must not have side effects. Resolves
   * with the record in force afterwards. Rejects with `GrayConfigError` for an invalid name or record.
   */
  updateRollout(name: string, update: (current: GrayRolloutRecord | undefined) => GrayRolloutRecord | undefined): Promise<GrayRolloutRecord | undefined>;
  /**
   * Campaigns for the leadership of rollout `name` until `resign()`: at most one process at a time
   * is leader. etcd: an election on a lease of `ttlSeconds` (default: the registry's lease TTL), so a
   * leader that dies is replaced within about one TTL. File: a lock file beside the registry file
   * holding the owner's host and pid, refreshed every `ttlSeconds / 3` and taken over when the owner
   * (on this host) is gone or has not refreshed it for `ttlSeconds` (default 10).
   */
  campaignRollout(name: string, handlers: GrayRolloutCampaignHandlers, options?: { readonly ttlSeconds?: number }): GrayRolloutCampaign;
}

/** `true` when `registry` stores rollout records (has `getRollout`, `updateRollout`, `campaignRollout`). */
export function isRolloutRegistry(registry: unknown): registry is GrayRolloutRegistry {
  const r = registry as Partial<GrayRolloutRegistry> | null;
  return typeof r === 'object' && r !== null && typeof r.getRollout === 'function' && typeof r.updateRollout === 'function' && typeof r.campaignRollout === 'function';
}

/**
 * Returns the `rolloutPercent` lookup for `createColoringRules(rules, { rolloutPercent })`: the
 * current share of a named rollout, read from the registry's local copy on every request (no I/O),
 * so every edge replica colors the same share and a change applies everywhere at once. A rollout
 * that is unknown, aborted or done gives 0; a paused one keeps its share.
 *
 * @throws GrayConfigError when `registry` does not store rollouts (use a file or etcd registry).
 * @example
 * const rules = createColoringRules([{ stage: 'canary', rollout: { rollout: 'pricing-v2', header: 'x-user-id' } }], {
 *   rolloutPercent: rolloutPercentIn(registry), isStageEnabled: stageEnabledIn(registry, 'shop.Price'),
 * });
 */
export function rolloutPercentIn(registry: GrayRolloutRegistry): (name: string) => number | undefined {
  if (!isRolloutRegistry(registry)) {
    throw new GrayConfigError('graylane: rolloutPercentIn(registry) needs a registry that stores rollouts: createFileRegistry or createEtcdRegistry from graylane/routing.');
  }
  return (name) => {
    const record = registry.getRollout(name);
    if (record === undefined || record.state === 'aborted' || record.state === 'done') return 0;
    return record.percent;
  };
}
