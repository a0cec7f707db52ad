/**
 * The coloring-rule data format: plain, JSON-able objects, so rules can live in a file or a
 * registry and be swapped at run time.
 * @packageDocumentation
 */

/**
 * How a value is tested. Give at most one of `equals`, `oneOf`, `regex`; with none, the condition
 * holds whenever the value is present. Values longer than 4,096 characters never match.
 */
export interface ColoringValueTest {
  /** The value equals this string. */
  readonly equals?: string;
  /** The value equals one of these strings (at least one). */
  readonly oneOf?: readonly string[];
  /**
   * The value matches this regular expression source (JavaScript syntax, at most 512 characters, no
   * flags; compiled once). It runs on a linear-time engine (RE2): backreferences and lookaround are
   * refused, and so are patterns over 256 RE2 instructions.
   */
  readonly regex?: string;
  /** Compare `equals` / `oneOf` / `regex` case-insensitively. Default `false`. */
  readonly ignoreCase?: boolean;
}

/** A header condition: `name` is case-insensitive, e.g. `{ header: 'x-user-group', equals: 'qa' }`. */
export interface ColoringHeaderCondition extends ColoringValueTest {
  /** Header (or gRPC metadata key) name, matched case-insensitively. */
  readonly header: string;
}
/** A cookie condition (cookie names are case-sensitive), e.g. `{ cookie: 'beta', equals: '1' }`. */
export interface ColoringCookieCondition extends ColoringValueTest {
  /** Cookie name, matched case-sensitively. */
  readonly cookie: string;
}
/** A query-parameter condition (case-sensitive name), e.g. `{ query: 'lane', equals: 'canary' }`. */
export interface ColoringQueryCondition extends ColoringValueTest {
  /** Query parameter name, matched case-sensitively. */
  readonly query: string;
}
/**
 * A path condition: the normalised request path starts with `pathPrefix`, e.g. `'/api/v2/'`. The
 * path is normalised first (dot segments, also `%2e`, resolved; repeated slashes collapsed; query
 * dropped), so `/api/v2/../admin` is not under `/api/v2/`.
 */
export interface ColoringPathCondition {
  /** Prefix the normalised request path (HTTP path, or gRPC method path) must start with; itself a normalised path. */
  readonly pathPrefix: string;
}

/** One condition of a rule: exactly one of `header`, `cookie`, `query`, `pathPrefix`. */
export type ColoringCondition =
  | ColoringHeaderCondition
  | ColoringCookieCondition
  | ColoringQueryCondition
  | ColoringPathCondition;

/**
 * Percentage rollout by a stable key. A request is in iff it carries the key and
 * `rolloutBucket(salt, key) < Math.round(percent * 100)`; without the key the rule does not match.
 * The share is fixed (`percent`) or read on every request from a named rollout in a registry
 * (`rollout`, driven by `createRollout` in `graylane/rollout`): give exactly one. Raising the share
 * only ever adds keys, so a user in at 5 % is still in at 25 %.
 */
export interface ColoringRollout {
  /** Fixed share of keys that match, from 0 to 100 (0.01 resolution). Give this or `rollout`. */
  readonly percent?: number;
  /**
   * Name of a registry rollout whose current share applies, e.g. `'pricing-v2'` (letters, digits,
   * `_`, `.`, `-`). Needs the `rolloutPercent` option of `createColoringRules`; while the rollout is
   * unknown the share is 0. Give this or `percent`.
   */
  readonly rollout?: string;
  /** Header holding the key, e.g. `'x-user-id'` (give this or `cookie`). */
  readonly header?: string;
  /** Cookie holding the key, e.g. `'uid'` (give this or `header`). */
  readonly cookie?: string;
  /** Hash salt: change it to reshuffle who is in. Default: the rule's `stage`. */
  readonly salt?: string;
}

/**
 * One coloring rule. Rules are evaluated in order and the first that matches yields its `stage`.
 *
 * @example
 * { name: 'qa', stage: 'canary', match: { header: 'x-user-group', oneOf: ['qa', 'staff'] } }
 * { name: '10% of users', stage: 'canary', rollout: { percent: 10, header: 'x-user-id' } }
 * { name: 'pricing ramp', stage: 'canary', rollout: { rollout: 'pricing-v2', header: 'x-user-id' } }
 */
export interface ColoringRule {
  /** The stage this rule yields, e.g. `'canary'`. Must be a valid stage (and allowed by the policy). */
  readonly stage: string;
  /** A label used in error messages. Default: none (the rule's index is used). */
  readonly name?: string;
  /** Conditions that must all hold. Default: none (always holds). */
  readonly match?: ColoringCondition | readonly ColoringCondition[];
  /** Percentage rollout applied after `match`. Default: none (every matching request). */
  readonly rollout?: ColoringRollout;
}

/** What rules read from a request. Adapters build it; {@link coloringInput} builds it from any carrier. */
export interface ColoringInput {
  /** A header / metadata value by lower-case name, or `undefined`. */
  header(name: string): string | undefined;
  /** A cookie value by name, or `undefined`. Default: cookie conditions never match. */
  cookie?(name: string): string | undefined;
  /** The normalised request path without query string, e.g. `'/api/orders'`. Default: path conditions never match. */
  readonly path?: string;
  /** A query-parameter value by name, or `undefined`. Default: query conditions never match. */
  query?(name: string): string | undefined;
}
