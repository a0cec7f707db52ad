/**
 * Policies for per-call options (e.g. `forwardGrayMetadata(call, into, options)`): built once per
 * options object, never once per call.
 * @packageDocumentation
 */
import { createGrayPolicy, defaultGrayPolicy, type GrayPolicy, type GrayPolicyOptions } from './policy.js';

const built = new WeakMap<object, GrayPolicy>();

/**
 * The policy that per-call `options` describe: `options.policy` when set; the default policy when
 * no policy option is set (keys in `ignore`, such as `overwrite`, are not policy options); else
 * the policy built from them — once per options object, so a handler that passes the same object
 * on every call builds it once. The object is read when first seen: changing it afterwards has no
 * effect. Throws `GrayConfigError` for bad options, as `createGrayPolicy` does.
 */
export function policyForCallOptions(
  options: ({ readonly policy?: GrayPolicy } & GrayPolicyOptions) | undefined,
  ignore: readonly string[] = [],
): GrayPolicy {
  if (options === undefined || options === null) return defaultGrayPolicy();
  if (options.policy !== undefined) return options.policy;
  const cached = built.get(options);
  if (cached !== undefined) return cached;
  let rest: Record<string, unknown> | undefined;
  for (const key of Object.keys(options)) {
    const value = (options as Record<string, unknown>)[key];
    if (key === 'policy' || value === undefined || ignore.includes(key)) continue;
    (rest ??= Object.create(null) as Record<string, unknown>)[key] = value;
  }
  if (rest === undefined) return defaultGrayPolicy();
  const policy = createGrayPolicy(rest as GrayPolicyOptions);
  built.set(options, policy);
  return policy;
}
