/**
 * Which keys a policy governs: the stage key, its aliases, the extra keys and the key prefixes.
 * Used to strip a caller's own values of those keys from metadata that is passed on as-is.
 * @packageDocumentation
 */
import type { GrayPolicy } from './policy.js';

/** `true` when `key` (lower-case) is one the policy reads from a request: stage key, alias, extra key or prefixed key. */
export function isPolicyKey(policy: GrayPolicy, key: string): boolean {
  if (key === policy.stageKey || policy.aliases.includes(key) || policy.keys.includes(key)) return true;
  const prefixes = policy.keyPrefixes;
  for (let i = 0; i < prefixes.length; i++) if (key.startsWith(prefixes[i]!)) return true;
  return false;
}
