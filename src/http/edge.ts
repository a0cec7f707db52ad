/**
 * The HTTP edge: options, their validation, and the per-request decision (trust, extraction,
 * coloring) shared by the middleware and the Fastify plugin.
 * @packageDocumentation
 */
import type { IncomingMessage } from 'node:http';
import { extractGrayContextExcept, recordCarrier } from '../core/carrier.js';
import type { GrayContext } from '../core/context.js';
import { GrayConfigError } from '../core/errors.js';
import { resolvePolicy, type GrayPolicy, type GrayPolicyOptions } from '../core/policy.js';
import { normalizePath } from '../core/path.js';
import { policyWithTrust } from '../core/policy-trust.js';
import { colorContext } from '../core/rules/color.js';
import { createColoringRules, type ColoringRules } from '../core/rules/coloring-rules.js';
import { coloringInput } from '../core/rules/input.js';
import type { ColoringRule } from '../core/rules/types.js';
import { asciiLower, isValidKey } from '../core/stage.js';
import { compileTrust, type GrayTrustRule, type TrustCheck } from './trust.js';

/** Paths never colored by default: `['/healthz', '/readyz', '/livez']`. */
export const DEFAULT_HEALTH_PATHS: readonly string[] = Object.freeze(['/healthz', '/readyz', '/livez']);

/** Options of `grayHttpMiddleware` and `grayFastifyPlugin`: a policy (or its options) plus edge settings. */
export interface GrayHttpOptions extends GrayPolicyOptions {
  /** A policy built with `createGrayPolicy`; when set, the policy options beside it are ignored. Default: built from the options. */
  readonly policy?: GrayPolicy;
  /**
   * Believe every client-supplied stage. Default **`false`** at the HTTP edge (unlike the core
   * policy): a stage sent by the client is ignored — and reported to `onInvalid` with reason
   * `'untrusted'` — unless `trust` admits the request. The policy's own `trustIncoming` is not used here.
   */
  readonly trustIncoming?: boolean;
  /** Admits a client-supplied stage per request: `{ tokenHeader, tokens }` or `(req) => boolean`. Default: none. */
  readonly trust?: GrayTrustRule;
  /**
   * Coloring rules applied when the request has no trusted stage: an array of rules, or a
   * `createColoringRules(...)` object (keep it to hot-swap rules with `setRules`). Default: none.
   */
  readonly rules?: readonly ColoringRule[] | ColoringRules;
  /** Exact paths (compared after normalisation, query ignored) that are never colored and get no context. Default `['/healthz', '/readyz', '/livez']`. */
  readonly healthPaths?: readonly string[];
  /** Echo the resolved stage as a response header: `true` for the stage key, or a header name. Default `false`. */
  readonly echoStage?: boolean | string;
}

/** The validated edge configuration. */
export interface HttpEdge {
  readonly policy: GrayPolicy;
  /** The stage decided for `req`, or `undefined` for a health check. Never throws. */
  resolve(req: IncomingMessage): GrayContext | undefined;
  /** Response header to echo the stage in, or `undefined`. */
  readonly echoHeader: string | undefined;
}

const EDGE_KEYS = ['policy', 'trustIncoming', 'trust', 'rules', 'healthPaths', 'echoStage'] as const;

function isRuleSet(value: unknown): value is ColoringRules {
  return typeof value === 'object' && value !== null && typeof (value as ColoringRules).resolve === 'function' && typeof (value as ColoringRules).setRules === 'function';
}

function healthSet(paths: readonly string[] | undefined): ReadonlySet<string> {
  if (paths === undefined) return new Set(DEFAULT_HEALTH_PATHS);
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p.startsWith('/'))) {
    throw new GrayConfigError("graylane: healthPaths must be an array of paths starting with '/', e.g. ['/healthz'] (or [] for none).");
  }
  return new Set(paths.map(normalizePath));
}

function echoName(echo: boolean | string | undefined, policy: GrayPolicy): string | undefined {
  if (echo === undefined || echo === false) return undefined;
  if (echo === true) return policy.stageKey;
  if (typeof echo === 'string' && isValidKey(asciiLower(echo))) return asciiLower(echo);
  throw new GrayConfigError(`graylane: echoStage must be true, false or a header name, got ${JSON.stringify(echo)}.`);
}

/** The request path used for health checks and rules: Express's `originalUrl` when mounted, else `url`. */
export function requestUrl(req: IncomingMessage): string {
  return (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
}

/** Validates the options and builds the edge. Throws {@link GrayConfigError} with what to fix. */
export function createHttpEdge(options: GrayHttpOptions = {}): HttpEdge {
  if (typeof options !== 'object' || options === null) throw new GrayConfigError('graylane: HTTP middleware options must be an object.');
  const policyOptions: Record<string, unknown> = { ...options };
  for (const key of EDGE_KEYS) delete policyOptions[key];
  const base = options.policy ?? resolvePolicy(policyOptions as GrayPolicyOptions);
  const trustAll = options.trustIncoming === true;
  const trusting = policyWithTrust(base, true);
  const untrusting = policyWithTrust(base, false);
  // Compiled even when every stage is trusted: the token header must still never be forwarded.
  const trust: TrustCheck | undefined = compileTrust(options.trust);
  const secret = trust?.tokenHeader;
  if (secret !== undefined && (base.keys.includes(secret) || base.aliases.includes(secret) || base.stageKey === secret)) {
    throw new GrayConfigError(`graylane: ${JSON.stringify(secret)} is the trust token header, which is never forwarded; remove it from keys / aliases / stageKey.`);
  }
  const rules = options.rules === undefined ? undefined : isRuleSet(options.rules) ? options.rules : createColoringRules(options.rules, { policy: base });
  const health = healthSet(options.healthPaths);

  return {
    policy: base,
    echoHeader: echoName(options.echoStage, base),
    resolve(req) {
      const url = requestUrl(req);
      if (health.size > 0 && health.has(normalizePath(url))) return undefined;
      const admitted = trustAll || (trust !== undefined && trust(req));
      const ctx = extractGrayContextExcept(req.headers, recordCarrier, admitted ? trusting : untrusting, secret);
      if (rules === undefined) return ctx;
      return colorContext(ctx, rules, coloringInput(req.headers, recordCarrier, url), base);
    },
  };
}
