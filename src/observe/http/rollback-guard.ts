/**
 * HTTP middleware feeding a rollback guard with the outcome and latency of each request of the
 * guarded stage — the HTTP counterpart of `rollbackGuardClientInterceptor`.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decidedContext } from '../../core/call-stage.js';
import { GrayConfigError } from '../../core/errors.js';
import { defaultGrayPolicy, type GrayPolicy } from '../../core/policy.js';
import type { GrayHttpMiddleware } from '../../http/middleware.js';
import { isRollbackGuard, type RollbackGuard } from '../rollback-guard.js';

/** Options of {@link rollbackGuardHttpMiddleware}. */
export interface RollbackGuardHttpOptions {
  /** Which response status codes count as failures. Default: `status >= 500`. */
  readonly isFailure?: (status: number) => boolean;
  /**
   * Policy naming the default stage, recorded for requests that reach this middleware without the
   * edge's decision (no gray context). Request headers are never read. Default: the default policy.
   */
  readonly policy?: GrayPolicy;
}

const serverError = (status: number): boolean => status >= 500;

/**
 * Creates a Connect/Express-style middleware that records every request of the guard's stage into
 * `guard` when its response finishes: failed or not (`isFailure(res.statusCode)`, default 5xx) and
 * its latency from the middleware to the moment the handler ended the response (`res.end()`) — not
 * until a possibly slow client has read it, so a client cannot fake a slow canary by reading slowly.
 * Mount it after your body parser too: time spent waiting for a slow client's upload is not the canary's. The stage is the one the
 * graylane HTTP edge decided: mount this **after** `grayHttpMiddleware()`. Before it (or without it)
 * there is no decision to see, and every request counts as the default stage — a client's
 * `x-release-stage` is never read, so untrusted claims cannot trip the guard. A request whose
 * connection closes before the response finished is not recorded. Other stages, and every request
 * while the guard is tripped, pass straight through.
 *
 * @throws GrayConfigError when `guard` is not a {@link RollbackGuard} (of any copy of graylane: recognised by its brand, not `instanceof`) or `isFailure` is not a function.
 */
export function rollbackGuardHttpMiddleware(guard: RollbackGuard, options: RollbackGuardHttpOptions = {}): GrayHttpMiddleware {
  if (!isRollbackGuard(guard)) throw new GrayConfigError('graylane/observe: rollbackGuardHttpMiddleware needs a guard from createRollbackGuard().');
  const isFailure = options.isFailure ?? serverError;
  if (typeof isFailure !== 'function') throw new GrayConfigError('graylane/observe: isFailure must be a function.');
  const policy = options.policy ?? defaultGrayPolicy();
  return (_req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (guard.state === 'watching') {
      const stage = decidedContext(policy).stage;
      if (stage === guard.stage) {
        const t0 = performance.now();
        // The latency ends when the handler ends the response ('prefinish'), not when the client has
        // read it ('finish'): a client that reads slowly must not make the canary look slow.
        let t1: number | undefined;
        res.once('prefinish', () => { t1 = performance.now(); });
        res.once('finish', () => {
          let failed = true;
          try {
            failed = isFailure(res.statusCode);
          } catch {
            // A faulty predicate counts the request as failed rather than breaking the response path.
          }
          guard.record(stage, !failed, (t1 ?? performance.now()) - t0);
        });
      }
    }
    next();
  };
}
