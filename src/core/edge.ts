/**
 * The edge decision, once for every kind of edge: options and their validation, then per request
 * trust, extraction, health paths and coloring — over a header getter and a request URL, so a Node
 * request, a Fetch `Request` and a Connect call are decided by the same code.
 * @packageDocumentation
 */
import { extractGrayContextExcept, type GrayGetter } from './carrier.js';
import type { GrayContext } from './context.js';
import { compileEdgeTrust, type EdgeTrustCheck, type GrayTokenTrust } from './edge-trust.js';
import { GrayConfigError } from './errors.js';
import { normalizePath } from './path.js';
import { resolvePolicy, type GrayPolicy, type GrayPolicyOptions } from './policy.js';
import { policyWithTrust } from './policy-trust.js';
import { colorContext } from './rules/color.js';
import { createColoringRules, type ColoringRules } from './rules/coloring-rules.js';
import { coloringInput } from './rules/input.js';
import type { ColoringRule } from './rules/types.js';
import { asciiLower, isValidKey } from './stage.js';

/** Options every edge takes (HTTP, Fetch/Hono, Connect): a policy (or its options) plus edge settings. `Raw` is the edge's request type. */
export interface GrayEdgeOptions<Raw> extends GrayPolicyOptions {
  /** A policy built with `createGrayPolicy`; when set, the policy options beside it are ignored. Default: built from the options. */
  readonly policy?: GrayPolicy;
  /**
   * Believe every client-supplied stage. Default **`false`** at an edge (unlike the core policy):
   * a stage sent by the client is ignored — and reported to `onInvalid` with reason `'untrusted'` —
   * unless `trust` admits the request. The policy's own `trustIncoming` is not used here.
   */
  readonly trustIncoming?: boolean;
  /** Admits a client-supplied stage per request: `{ tokenHeader, tokens }` or a predicate over the request. A predicate that throws counts as "not trusted". Default: none. */
  readonly trust?: GrayTokenTrust | ((req: Raw) => boolean);
  /**
   * Coloring rules applied when the request has no trusted stage: an array of rules, or a
   * `createColoringRules(...)` object (keep it to hot-swap rules with `setRules`). Default: none.
   */
  readonly rules?: readonly ColoringRule[] | ColoringRules;
  /** Exact paths (compared after normalisation, query ignored) that are never colored and get no context. Default: the edge's own list. */
  readonly healthPaths?: readonly string[];
  /** Echo the resolved stage as a response header: `true` for the stage key, or a header name. Default `false`. */
  readonly echoStage?: boolean | string;
}

/** A validated edge. Internal. */
export interface GrayEdge<Raw> {
  /** The edge's policy (as configured; trust is decided per request). */
  readonly policy: GrayPolicy;
  /** Response header to echo the stage in, or `undefined`. */
  readonly echoHeader: string | undefined;
  /** The context decided for a request, or `undefined` for a health check. Never throws on request input. */
  decide<C>(raw: Raw, carrier: C, getter: GrayGetter<C>, url: string): GrayContext | undefined;
}

const EDGE_KEYS = ['policy', 'trustIncoming', 'trust', 'rules', 'healthPaths', 'echoStage'];

function isRuleSet(value: unknown): value is ColoringRules {
  return typeof value === 'object' && value !== null && typeof (value as ColoringRules).resolve === 'function' && typeof (value as ColoringRules).setRules === 'function';
}

function healthSet(paths: readonly string[] | undefined, fallback: readonly string[]): ReadonlySet<string> {
  if (paths === undefined) return new Set(fallback.map(normalizePath));
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

/**
 * Validates edge options and builds the edge. `healthPaths` is the edge's default list of health
 * paths. Throws {@link GrayConfigError} with what to fix. Internal.
 */
export function createGrayEdge<Raw>(options: GrayEdgeOptions<Raw> = {}, healthPaths: readonly string[] = []): GrayEdge<Raw> {
  if (typeof options !== 'object' || options === null) throw new GrayConfigError('graylane: edge options must be an object.');
  const policyOptions: Record<string, unknown> = { ...options };
  for (const key of EDGE_KEYS) delete policyOptions[key];
  const base = options.policy ?? resolvePolicy(policyOptions as GrayPolicyOptions);
  const trustAll = options.trustIncoming === true;
  const trusting = policyWithTrust(base, true);
  const untrusting = policyWithTrust(base, false);
  // Compiled even when every stage is trusted: the token header must still never be forwarded.
  const trust: EdgeTrustCheck<Raw> | undefined = compileEdgeTrust(options.trust);
  const secret = trust?.tokenHeader;
  if (secret !== undefined && (base.keys.includes(secret) || base.aliases.includes(secret) || base.stageKey === secret)) {
    throw new GrayConfigError(`graylane: ${JSON.stringify(secret)} is the trust token header, which is never forwarded; remove it from keys / aliases / stageKey.`);
  }
  const rules = options.rules === undefined ? undefined : isRuleSet(options.rules) ? options.rules : createColoringRules(options.rules, { policy: base });
  const health = healthSet(options.healthPaths, healthPaths);

  return {
    policy: base,
    echoHeader: echoName(options.echoStage, base),
    decide(raw, carrier, getter, url) {
      if (health.size > 0 && health.has(normalizePath(url))) return undefined;
      const admitted = trustAll || (trust !== undefined && trust.admits(raw, carrier, getter));
      const ctx = extractGrayContextExcept(carrier, getter, admitted ? trusting : untrusting, secret);
      if (rules === undefined) return ctx;
      return colorContext(ctx, rules, coloringInput(carrier, getter, url), base);
    },
  };
}
