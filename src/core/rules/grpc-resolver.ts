/**
 * Coloring rules at a gRPC edge: a ready-made `resolve` hook for the grpc-js server interceptor and
 * the nice-grpc server middleware.
 * @packageDocumentation
 */
import type { GrayGetter } from '../carrier.js';
import type { GrayContext } from '../context.js';
import { defaultGrayPolicy, type GrayPolicy } from '../policy.js';
import { colorContext } from './color.js';
import type { ColoringRules } from './coloring-rules.js';
import { coloringInput } from './input.js';

/** Method-path prefix of the standard gRPC health service; such calls are never colored. */
export const GRPC_HEALTH_PREFIX = '/grpc.health.v1.Health/';

/**
 * A `resolve` function for a gRPC edge (`grayServerInterceptor({ resolve })` in `graylane/grpc-js`):
 * colors calls that carry no trusted stage by `rules`, reading metadata through `getter`. Header,
 * cookie (a `cookie` metadata key) and rollout rules apply. When the caller passes the method
 * path (e.g. `'/shop.Cart/Add'`) as third argument, path-prefix rules see it and calls to
 * `grpc.health.v1.Health` are never colored; without it, path and query conditions never match.
 *
 * @param policy - builds the colored context. Default: the policy of the interceptor or middleware
 * calling the hook (it passes it as fourth argument), else the default policy.
 * @example
 * new Server({ interceptors: [grayServerInterceptor({ trustIncoming: false, resolve: coloringResolver(rules, grpcMetadataCarrier) })] });
 */
export function coloringResolver<C>(
  rules: ColoringRules,
  getter: GrayGetter<C>,
  policy?: GrayPolicy,
): (extracted: GrayContext, carrier: C, path?: string, serverPolicy?: GrayPolicy) => GrayContext {
  return (extracted, carrier, path, serverPolicy) => {
    if (path !== undefined && path.startsWith(GRPC_HEALTH_PREFIX)) return extracted;
    return colorContext(extracted, rules, coloringInput(carrier, getter, path), policy ?? serverPolicy ?? defaultGrayPolicy());
  };
}
