/**
 * Edge trust rules: when a client-supplied stage may be believed (a secret token header for QA and
 * testers, or a predicate of your own). Written once over a header getter, for every kind of edge
 * request (a Node request, a Fetch `Request`, a Connect call).
 * @packageDocumentation
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { GrayGetter } from './carrier.js';
import { GrayConfigError } from './errors.js';
import { asciiLower, isValidKey } from './stage.js';

/** Admit the client's stage when a header carries one of the configured secret tokens. */
export interface GrayTokenTrust {
  /** Header holding the token, e.g. `'x-gray-token'` (case-insensitive). */
  readonly tokenHeader: string;
  /** Accepted tokens (at least one, each non-empty). Compared in constant time. */
  readonly tokens: readonly string[];
}

/**
 * A compiled trust check over the edge's raw request and its headers. Never throws. `tokenHeader`
 * names the secret header, which must never be forwarded. Internal.
 */
export interface EdgeTrustCheck<Raw> {
  /** `true` when the request is admitted to set its own stage. */
  admits<C>(raw: Raw, carrier: C, getter: GrayGetter<C>): boolean;
  /** The secret token header, when the rule is a token rule. */
  readonly tokenHeader: string | undefined;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

function tokenCheck<Raw>(rule: GrayTokenTrust): EdgeTrustCheck<Raw> {
  const header = typeof rule.tokenHeader === 'string' ? asciiLower(rule.tokenHeader) : '';
  if (!isValidKey(header)) {
    throw new GrayConfigError(`graylane: trust.tokenHeader ${JSON.stringify(rule.tokenHeader)} is not a valid header name; use e.g. 'x-gray-token'.`);
  }
  const tokens = rule.tokens;
  if (!Array.isArray(tokens) || tokens.length === 0 || !tokens.every((t) => typeof t === 'string' && t.length > 0)) {
    throw new GrayConfigError('graylane: trust.tokens must be a non-empty array of non-empty strings (the secrets testers send).');
  }
  // Compare fixed-length digests so neither the token length nor its content leaks through timing.
  const digests = tokens.map(digest);
  return {
    tokenHeader: header,
    admits(_raw, carrier, getter) {
      const sent = getter.get(carrier, header);
      if (sent === undefined || sent.length === 0) return false;
      const mine = digest(sent);
      let ok = false;
      for (const d of digests) ok = timingSafeEqual(mine, d) || ok;
      return ok;
    },
  };
}

/**
 * Validates a trust rule — a {@link GrayTokenTrust} or a predicate over the edge's raw request —
 * and compiles it. A predicate that throws counts as "not trusted". Throws {@link GrayConfigError}
 * for a bad rule. Internal.
 */
export function compileEdgeTrust<Raw>(rule: GrayTokenTrust | ((req: Raw) => boolean) | undefined): EdgeTrustCheck<Raw> | undefined {
  if (rule === undefined) return undefined;
  if (typeof rule === 'function') {
    return {
      tokenHeader: undefined,
      admits(raw) {
        try {
          return rule(raw) === true;
        } catch {
          return false;
        }
      },
    };
  }
  if (typeof rule !== 'object' || rule === null) {
    throw new GrayConfigError("graylane: trust must be { tokenHeader, tokens } or a function (req) => boolean.");
  }
  return tokenCheck(rule);
}
