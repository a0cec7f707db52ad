/**
 * nice-grpc client middleware feeding a rollback guard with the outcome and latency of each call of
 * the guarded stage.
 * @packageDocumentation
 */
import { Status, type ClientMiddleware } from 'nice-grpc-common';
import { outgoingStage } from '../../core/call-stage.js';
import { GrayConfigError } from '../../core/errors.js';
import { defaultGrayPolicy, type GrayPolicy } from '../../core/policy.js';
import { niceMetadataCarrier } from '../../nice-grpc/carrier.js';
import { isRollbackGuard, type RollbackGuard } from '../rollback-guard.js';
import { settled } from './settled.js';

/** Options of {@link rollbackGuardClientMiddleware}. */
export interface RollbackGuardClientMiddlewareOptions {
  /**
   * Which status codes count as failures (a caller's abort arrives as `CANCELLED`). Default: every
   * code but `OK` and `CANCELLED` — an abort says nothing about the guarded stage, and must not let
   * a client that disconnects trip it.
   */
  readonly isFailure?: (code: Status) => boolean;
  /** Policy used to read an explicit stage from the call's metadata. Default: the default policy. */
  readonly policy?: GrayPolicy;
}

const notOk = (code: Status): boolean => code !== Status.OK && code !== Status.CANCELLED;

/**
 * Creates a nice-grpc client middleware that records every call of the guard's stage (the call's
 * explicit `x-release-stage`, else the caller's gray context) into `guard`: failed or not, and its
 * latency until the call settles — the nice-grpc counterpart of `rollbackGuardClientInterceptor`. Calls of
 * other stages, and every call while the guard is tripped, pass straight through. A streaming call
 * the caller stops reading early counts as finished without error.
 *
 * @throws GrayConfigError when `guard` is not a {@link RollbackGuard} (of any copy of graylane: recognised by its brand, not `instanceof`) or `isFailure` is not a function.
 */
export function rollbackGuardClientMiddleware(guard: RollbackGuard, options: RollbackGuardClientMiddlewareOptions = {}): ClientMiddleware {
  if (!isRollbackGuard(guard)) throw new GrayConfigError('graylane/observe: rollbackGuardClientMiddleware needs a guard from createRollbackGuard().');
  const isFailure = options.isFailure ?? notOk;
  if (typeof isFailure !== 'function') throw new GrayConfigError('graylane/observe: isFailure must be a function.');
  const policy = options.policy ?? defaultGrayPolicy();
  return async function* rollbackGuard(call, callOptions) {
    if (guard.state === 'tripped' || outgoingStage(callOptions.metadata, niceMetadataCarrier, policy) !== guard.stage) return yield* call.next(call.request, callOptions);
    const t0 = performance.now();
    return yield* settled(call.next(call.request, callOptions), 'client', (code) => {
      let failed = true;
      try {
        failed = isFailure(code);
      } catch {
        // A faulty predicate counts the call as failed rather than breaking the caller.
      }
      guard.record(guard.stage, !failed, performance.now() - t0);
    });
  };
}
