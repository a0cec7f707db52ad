/**
 * grpc-js client interceptor feeding a rollback guard with the outcome and latency of each call of
 * the guarded stage (client side only: the guard watches the service being called).
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { Interceptor, StatusObject } from '@grpc/grpc-js';
import { GrayConfigError } from '../../core/errors.js';
import { defaultGrayPolicy, type GrayPolicy } from '../../core/policy.js';
import { clientInterceptorOf, type ClientCallWatcher, type ClientJob } from '../../grpc-js/client-call.js';
import { isRollbackGuard, type RollbackGuard } from '../rollback-guard.js';

/** Options of {@link rollbackGuardClientInterceptor}. */
export interface RollbackGuardClientInterceptorOptions {
  /**
   * Which status codes count as failures. Default: every code but `OK` and `CANCELLED` — a call
   * cancelled on the calling side (often because an upstream client went away) says nothing about
   * the guarded stage, and must not let a client that disconnects trip it.
   */
  readonly isFailure?: (code: grpc.status) => boolean;
  /** Policy used to read an explicit stage from the outgoing metadata. Default: the default policy. */
  readonly policy?: GrayPolicy;
}

const notOk = (code: grpc.status): boolean => code !== grpc.status.OK && code !== grpc.status.CANCELLED;

/** Records one call of the guarded stage: failed or not, and its latency from start to status. */
class GuardWatcher implements ClientCallWatcher {
  constructor(private readonly guard: RollbackGuard, private readonly isFailure: (code: grpc.status) => boolean) {}
  onStatus(status: StatusObject, ms: number): void {
    let failed = true;
    try {
      failed = this.isFailure(status.code);
    } catch {
      // A faulty predicate counts the call as failed rather than breaking the caller.
    }
    this.guard.record(this.guard.stage, !failed, ms);
  }
}

/**
 * The rollback guard's client job: watches the calls going out with the guard's stage (the
 * metadata so far, else the caller's context), not while it is tripped. Internal.
 * @throws GrayConfigError as {@link rollbackGuardClientInterceptor}.
 */
export function clientGuardJob(guard: RollbackGuard, options: RollbackGuardClientInterceptorOptions): ClientJob {
  if (!isRollbackGuard(guard)) throw new GrayConfigError('graylane/observe: rollbackGuardClientInterceptor needs a guard from createRollbackGuard().');
  const isFailure = options.isFailure ?? notOk;
  if (typeof isFailure !== 'function') throw new GrayConfigError('graylane/observe: isFailure must be a function.');
  const policy = options.policy ?? defaultGrayPolicy();
  return {
    start(call) {
      if (guard.state === 'tripped' || call.stageFor(policy) !== guard.stage) return;
      call.watch(new GuardWatcher(guard, isFailure));
    },
  };
}

/**
 * Creates a grpc-js client interceptor that records every call of the guard's stage (the call's
 * explicit `x-release-stage`, else the caller's gray context) into `guard`: failed or not, and its
 * latency from start to status. Put it on the clients that call the guarded service; calls of other
 * stages pass straight through. Per-call `interceptors` replace the client's.
 * `grayGrpcClientStack({ guard })` does the same in one layer with the context.
 *
 * @throws GrayConfigError when `guard` is not a {@link RollbackGuard} (of any copy of graylane: recognised by its brand, not `instanceof`) or `isFailure` is not a function.
 */
export function rollbackGuardClientInterceptor(guard: RollbackGuard, options: RollbackGuardClientInterceptorOptions = {}): Interceptor {
  return clientInterceptorOf([clientGuardJob(guard, options)]);
}

/**
 * Options of the deprecated {@link rollbackGuardInterceptor}.
 * @deprecated Renamed {@link RollbackGuardClientInterceptorOptions}; this alias goes in 1.0.
 */
export type RollbackGuardInterceptorOptions = RollbackGuardClientInterceptorOptions;

/**
 * The rollback guard's grpc-js client feed under its old name: the same function as
 * {@link rollbackGuardClientInterceptor} (it was always client-only).
 * @deprecated Renamed {@link rollbackGuardClientInterceptor}, the name pattern of every adapter's
 *   guard feed (`rollbackGuardClientMiddleware` for nice-grpc); this alias goes in 1.0.
 */
export const rollbackGuardInterceptor: typeof rollbackGuardClientInterceptor = rollbackGuardClientInterceptor;
