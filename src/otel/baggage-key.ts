/**
 * The rules every baggage helper shares, with no OpenTelemetry import (the W3C header helpers for
 * grpc-js use them without `@opentelemetry/api`): the checked baggage key, and when a stage read
 * from baggage counts.
 * @packageDocumentation
 */
import { GrayConfigError } from '../core/errors.js';
import type { GrayPolicy } from '../core/policy.js';
import { isBaggageKey } from './baggage-header.js';

/** Options shared by the baggage helpers. */
export interface GrayBaggageOptions {
  /** Baggage key holding the stage. Default `'x-release-stage'`. */
  readonly baggageKey?: string;
  /**
   * Policy validating stages read from baggage (allowlist, default stage, `trustIncoming`): pass the
   * policy of the server or edge that receives the baggage. Default: the default policy (which trusts callers).
   */
  readonly policy?: GrayPolicy;
}

/** The checked baggage key of `options`. Throws GrayConfigError when invalid. */
export function baggageKeyOf(options: GrayBaggageOptions | undefined): string {
  const key = options?.baggageKey ?? 'x-release-stage';
  if (typeof key !== 'string' || !isBaggageKey(key)) {
    throw new GrayConfigError(`graylane/otel: baggageKey ${JSON.stringify(key)} is not a valid baggage key (an HTTP token).`);
  }
  return key;
}

/**
 * The one rule for a stage read from baggage (OTel context or W3C header): ignored — and reported
 * with reason `'untrusted'` — when the policy does not trust callers, else validated by the policy.
 * Internal.
 */
export function acceptBaggageStage(raw: string, key: string, policy: GrayPolicy): string | undefined {
  if (!policy.trustIncoming) return void policy.reportInvalid(`baggage:${key}`, 'untrusted', raw);
  return policy.acceptStage(raw, `baggage:${key}`);
}
