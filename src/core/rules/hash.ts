/**
 * The stable rollout hash behind percentage rules: the same `salt` and key always give the same
 * bucket, so a user keeps their stage across requests, instances and restarts.
 * @packageDocumentation
 */

/** Number of rollout buckets: a percentage has a resolution of 0.01 point. */
export const ROLLOUT_BUCKETS = 10_000;

/**
 * The rollout bucket (0 … 9,999) of `key` under `salt`: FNV-1a (32-bit) over the UTF-16 code units
 * of `salt + ':' + key`, finished with the murmur3 32-bit mixer for an even spread, modulo 10,000.
 * A key is in the canary at `percent` iff `rolloutBucket(salt, key) < Math.round(percent * 100)`,
 * so raising the percentage only ever moves keys into the canary. Pure and deterministic.
 */
export function rolloutBucket(salt: string, key: string): number {
  const text = `${salt}:${key}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // murmur3 fmix32: FNV-1a alone spreads short, similar keys poorly in the low digits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % ROLLOUT_BUCKETS;
}
