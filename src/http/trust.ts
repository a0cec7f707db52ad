/**
 * Edge trust rules for Node requests: the token rule and predicate type of `graylane/http`
 * (the check itself is the core's, shared by every edge).
 * @packageDocumentation
 */
import type { IncomingMessage } from 'node:http';
import type { GrayTokenTrust } from '../core/edge-trust.js';

export type { GrayTokenTrust } from '../core/edge-trust.js';

/**
 * A trust rule: a token header, or a predicate over the raw Node request (`req` for Express and
 * `node:http`, `request.raw` for Fastify). A predicate that throws counts as "not trusted".
 */
export type GrayTrustRule = GrayTokenTrust | ((req: IncomingMessage) => boolean);
