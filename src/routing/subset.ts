/**
 * Bounded connections: the deterministic per-client subset of a stage's instances a channel
 * connects to when `registerGrayRouting({ subset })` is set. Rendezvous (highest-random-weight)
 * hashing on the client id: clients with different ids spread evenly over the instances, and a
 * membership change moves only the clients whose subset contained (or now ranks) that instance.
 * @packageDocumentation
 */
import type { LbInstance } from './lb-config.js';

/** The subset setting as the balancer receives it. */
export interface SubsetConfig {
  /** Instances per stage a channel connects to. */
  readonly size: number;
  /** The client id the ranking is keyed on. */
  readonly clientId: string;
}

/** 32-bit score of `address` for `clientId`: FNV-1a, then murmur3's finaliser for avalanche. */
export function rendezvousScore(clientId: string, address: string): number {
  let h = 0x811c9dc5;
  const text = `${clientId}\u0000${address}`;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The instances to connect to. Per stage: every instance when the stage has at most `size`;
 * otherwise the stage's instances ranked by {@link rendezvousScore}, taken in order until `size` of
 * them are not known to have failed (`failed(inst)`), looking at most `2 × size` deep — so a
 * failed member is replaced by the next-ranked instance while it is retried, and the subset
 * returns to its first choice once that member is ready again.
 */
export function selectSubset(instances: readonly LbInstance[], subset: SubsetConfig, failed: (inst: LbInstance) => boolean): LbInstance[] {
  const byStage = new Map<string, LbInstance[]>();
  for (const inst of instances) {
    let list = byStage.get(inst.stage);
    if (list === undefined) byStage.set(inst.stage, (list = []));
    list.push(inst);
  }
  const chosen: LbInstance[] = [];
  for (const list of byStage.values()) {
    if (list.length <= subset.size) {
      chosen.push(...list);
      continue;
    }
    const ranked = list
      .map((inst) => ({ inst, score: rendezvousScore(subset.clientId, inst.address) }))
      .sort((a, b) => b.score - a.score || (a.inst.address < b.inst.address ? -1 : 1));
    let healthy = 0;
    for (let i = 0; i < ranked.length && i < 2 * subset.size && healthy < subset.size; i++) {
      const inst = ranked[i]!.inst;
      chosen.push(inst);
      if (!failed(inst)) healthy++;
    }
  }
  return chosen;
}
