/**
 * The coloring step every edge shares: rules decide the stage of a request that has no trusted one.
 * @packageDocumentation
 */
import type { GrayContext } from '../context.js';
import type { GrayPolicy } from '../policy.js';
import type { ColoringRules } from './coloring-rules.js';
import type { ColoringInput } from './types.js';

/**
 * The coloring step: a request that already has an explicit (trusted) stage keeps it; otherwise
 * the first matching rule's stage is applied (keeping the extracted extra keys); with no match the
 * extracted context is returned unchanged. Never throws.
 */
export function colorContext(extracted: GrayContext, rules: ColoringRules, input: ColoringInput, policy: GrayPolicy): GrayContext {
  if (extracted.explicit) return extracted;
  const stage = rules.resolve(input);
  if (stage === undefined) return extracted;
  const accepted = policy.acceptStage(stage);
  return accepted === undefined ? extracted : policy.contextFor(accepted, extracted.entries);
}
