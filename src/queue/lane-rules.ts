/**
 * The lane rules of a queue, read from the same registry snapshot (instances and rules) as gRPC
 * routing: which lane a published message goes to, which lanes the default consumers drain, and
 * whether a non-default consumer takes its lane. Pure functions; the adapters apply them.
 * @packageDocumentation
 */
import type { GrayPolicy } from '../core/policy.js';
import type { GrayServiceSnapshot } from '../routing/types.js';

/** `true` when `stage` has a live (registered) consumer and is not disabled. The default stage is never disabled. */
export function laneLive(snapshot: GrayServiceSnapshot, policy: GrayPolicy, stage: string): boolean {
  if (stage !== policy.defaultStage && snapshot.rules.disabledStages.includes(stage)) return false;
  const instances = snapshot.instances;
  for (let i = 0; i < instances.length; i++) if (instances[i]!.stage === stage) return true;
  return false;
}

/** `true` when messages of `stage` are held (never given to the default consumers) while it has no live consumer. */
export function laneStrict(snapshot: GrayServiceSnapshot, stage: string): boolean {
  return snapshot.rules.fallback === 'strict' || snapshot.rules.strictStages.includes(stage);
}

/**
 * The lane a message of `stage` is published to: the default stage's (the main queue) for untagged
 * messages; its own lane while it has a live, enabled consumer; otherwise the main queue under
 * `permissive` rules (the tag kept) or its own lane under `strict` ones (held until a consumer returns).
 */
export function publishLane(snapshot: GrayServiceSnapshot, policy: GrayPolicy, stage: string): string {
  if (stage === policy.defaultStage) return stage;
  if (laneLive(snapshot, policy, stage) || laneStrict(snapshot, stage)) return stage;
  return policy.defaultStage;
}

/**
 * The lanes the default consumers drain now: every known non-default stage with no live, enabled
 * consumer, unless its rules are strict. `known` lists the stages whose lanes may hold messages.
 */
export function drainedLanes(snapshot: GrayServiceSnapshot, policy: GrayPolicy, known: Iterable<string>): string[] {
  const out: string[] = [];
  for (const stage of known) {
    if (stage === policy.defaultStage) continue;
    if (!laneLive(snapshot, policy, stage) && !laneStrict(snapshot, stage)) out.push(stage);
  }
  return out.sort();
}

/** `true` while a consumer of `stage` takes messages from its lane: always for the default stage, else while the stage is not disabled. */
export function laneOpen(snapshot: GrayServiceSnapshot, policy: GrayPolicy, stage: string): boolean {
  return stage === policy.defaultStage || !snapshot.rules.disabledStages.includes(stage);
}
