/**
 * Edge trust rules: when a client-supplied stage may be believed (a secret token header for QA and
 * testers, or a predicate of your own).
 * @packageDocumentation
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { recordCarrier } from '../core/carrier.js';
import { GrayConfigError } from '../core/errors.js';
import { asciiLower, isValidKey } from '../core/stage.js';

/** Admit the client's stage when a header carries one of the configured secret tokens. */
export interface GrayTokenTrust {
  /** Header holding the token, e.g. `'x-gray-token'` (case-insensitive). */
  readonly tokenHeader: string;
  /** Accepted tokens (at least one, each non-empty). Compared in constant time. */
  readonly tokens: readonly string[];
}

/**
 * A trust rule: a token header, or a predicate over the raw Node request (`req` for Express and
 * `node:http`, `request.raw` for Fastify). A predicate that throws counts as "not trusted".
 */
export type GrayTrustRule = GrayTokenTrust | ((req: IncomingMessage) => boolean);

/** A compiled trust check. Never throws. `tokenHeader` names the secret header, which must never be forwarded. */
export type TrustCheck = ((req: IncomingMessage) => boolean) & { readonly tokenHeader?: string };

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

function tokenCheck(rule: GrayTokenTrust): TrustCheck {
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
  const check = (req: IncomingMessage): boolean => {
    const sent = recordCarrier.get(req.headers, header);
    if (sent === undefined || sent.length === 0) return false;
    const mine = digest(sent);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(mine, d) || ok;
    return ok;
  };
  return Object.assign(check, { tokenHeader: header });
}

/** Validates a trust rule and compiles it. Throws {@link GrayConfigError} for a bad rule. */
export function compileTrust(rule: GrayTrustRule | undefined): TrustCheck | undefined {
  if (rule === undefined) return undefined;
  if (typeof rule === 'function') {
    return (req) => {
      try {
        return rule(req) === true;
      } catch {
        return false;
      }
    };
  }
  if (typeof rule !== 'object' || rule === null) {
    throw new GrayConfigError("graylane: trust must be { tokenHeader, tokens } or a function (req) => boolean.");
  }
  return tokenCheck(rule);
}
