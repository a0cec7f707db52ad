/**
 * Edge helpers over the rule engine: a {@link ColoringInput} read through any carrier, the
 * coloring step shared by every adapter, and a ready-made `resolve` for a gRPC edge.
 * @packageDocumentation
 */
import type { GrayGetter } from './carrier.js';
import type { GrayContext } from './context.js';
import { defaultGrayPolicy, type GrayPolicy } from './policy.js';
import { normalizePath } from './path.js';
import type { ColoringRules } from './rules.js';
import type { ColoringInput } from './rules-types.js';

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (name.length === 0 || out.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // Keep the raw value when it is not valid percent-encoding.
    }
    out.set(name, value);
  }
  return out;
}

/**
 * A {@link ColoringInput} over any carrier: headers through `getter` (lower-case names), cookies
 * from the `cookie` key (parsed once, on first use), and path and query from `url` (e.g. Node's
 * `req.url`, `'/api/orders?lane=canary'`). The path is normalised ({@link normalizePath}: dot
 * segments resolved, `%2e` decoded, repeated slashes collapsed, query dropped). Never throws.
 */
export function coloringInput<C>(carrier: C, getter: GrayGetter<C>, url?: string): ColoringInput {
  let cookies: Map<string, string> | undefined;
  let query: URLSearchParams | undefined;
  const mark = url === undefined ? -1 : url.indexOf('?');
  return {
    header: (name) => getter.get(carrier, name),
    cookie(name) {
      cookies ??= parseCookies(getter.get(carrier, 'cookie'));
      return cookies.get(name);
    },
    path: url === undefined ? undefined : normalizePath(url),
    query(name) {
      if (url === undefined || mark < 0) return undefined;
      query ??= new URLSearchParams(url.slice(mark + 1));
      return query.get(name) ?? undefined;
    },
  };
}

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

/** Method-path prefix of the standard gRPC health service; such calls are never colored. */
export const GRPC_HEALTH_PREFIX = '/grpc.health.v1.Health/';

/**
 * A `resolve` function for a gRPC edge (`grayServerInterceptor({ resolve })` in `graylane/grpc-js`):
 * colors calls that carry no trusted stage by `rules`, reading metadata through `getter`. Header,
 * cookie (a `cookie` metadata key) and rollout rules apply. When the caller passes the method
 * path (e.g. `'/shop.Cart/Add'`) as third argument, path-prefix rules see it and calls to
 * `grpc.health.v1.Health` are never colored; without it, path and query conditions never match.
 *
 * @param policy - the interceptor's policy (builds the colored context). Default: the default policy.
 * @example
 * const policy = createGrayPolicy({ trustIncoming: false });
 * new Server({ interceptors: [grayServerInterceptor({ policy, resolve: coloringResolver(rules, grpcMetadataCarrier, policy) })] });
 */
export function coloringResolver<C>(rules: ColoringRules, getter: GrayGetter<C>, policy: GrayPolicy = defaultGrayPolicy()): (extracted: GrayContext, carrier: C, path?: string) => GrayContext {
  return (extracted, carrier, path) => {
    if (path !== undefined && path.startsWith(GRPC_HEALTH_PREFIX)) return extracted;
    return colorContext(extracted, rules, coloringInput(carrier, getter, path), policy);
  };
}

/**
 * The same policy with `trustIncoming` set to `trust`. Counters, the `onInvalid` hook and caches
 * are shared with `policy` (the returned object is a frozen shallow copy). Used by edges that
 * trust some requests (a valid token) and not others.
 */
export function policyWithTrust(policy: GrayPolicy, trust: boolean): GrayPolicy {
  return policy.trustIncoming === trust ? policy : Object.freeze({ ...policy, trustIncoming: trust });
}
