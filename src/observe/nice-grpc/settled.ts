/**
 * The status a nice-grpc call settled with, seen from a middleware: the one place the nice-grpc
 * metrics and guard feeds learn how a call ended.
 * @packageDocumentation
 */
import { ClientError, ServerError, Status } from 'nice-grpc-common';

/**
 * Delegates to a call's generator and reports the status it settled with: `OK` when it returned (or
 * the consumer stopped early), else the code of what it threw (see {@link statusOf}).
 */
export async function* settled<T, R>(inner: AsyncGenerator<T, R | void, undefined>, side: 'client' | 'server', done: (code: Status) => void): AsyncGenerator<T, R | void, undefined> {
  let code = Status.OK;
  try {
    return yield* inner;
  } catch (e) {
    code = statusOf(e, side);
    throw e;
  } finally {
    done(code);
  }
}

/** The gRPC status a settled nice-grpc call ended with, from what it threw (nothing: `OK`). */
function statusOf(error: unknown, side: 'client' | 'server'): Status {
  if (side === 'client' && error instanceof ClientError) return error.code;
  if (side === 'server' && error instanceof ServerError) return error.code;
  return (error as Error | undefined)?.name === 'AbortError' ? Status.CANCELLED : Status.UNKNOWN;
}
