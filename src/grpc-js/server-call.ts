/**
 * The one server listener every graylane grpc-js server interceptor is made of: per call, the jobs
 * of the interceptor (deciding the context, the observe feeds' metrics and hop trace) run in ONE
 * layer, and every listener callback runs in the call's context. `grayServerInterceptor` is it with
 * the context job alone, each observe feed with its own job alone, and `grayGrpcServerStack` with
 * all of them, fused. Internal.
 * @packageDocumentation
 */
import type { Metadata, ServerInterceptingCall, ServerInterceptingCallInterface, ServerInterceptor } from '@grpc/grpc-js';
import type { GrayContext } from '../core/context.js';
import { grayScope, runInGrayScope, type GrayScope } from '../core/scope.js';

/** The listener grpc-js passes to `call.start()` (not exported by grpc-js under its own name). */
type AnyListener = Parameters<ServerInterceptingCallInterface['start']>[0];

/** What grpc-js hands a server interceptor: the call, its methods patchable. Internal. */
export type GrayServerCall = ServerInterceptingCallInterface;

/** The status a server call ends with, as its `sendStatus` takes it. Internal. */
export type GrayServerStatus = Parameters<ServerInterceptingCallInterface['sendStatus']>[0];

/** The method a server interceptor sees (`descriptor` of a `ServerInterceptor`). Internal. */
export type GrayServerMethod = Parameters<ServerInterceptor>[0];

/** The per-call part of a server job: hooks the shared listener calls, each optional. Internal. */
export interface ServerCallJob {
  /**
   * The incoming metadata arrived. `ctx` is the context the jobs before this one decided
   * (`undefined` when none did). Returns the context the call's events run in from now on —
   * `ctx` to leave it, `undefined` to run them in none of the listener's own.
   */
  metadata?(md: Metadata, ctx: GrayContext | undefined, call: GrayServerCall, path: string): GrayContext | undefined;
  /** The client cancelled the call. */
  cancel?(): void;
  /** The handler sent `status` (seen, not changed). */
  status?(status: GrayServerStatus): void;
}

/**
 * One job of a server interceptor, built once per interceptor. A job with `perCall` gives each
 * call a part of its own (state, or patches of the call); a job without it is its own per-call
 * part (stateless: no allocation per call). Internal.
 */
export interface ServerJob extends ServerCallJob {
  /** The part of this job for one call; `undefined`: nothing to do for this call. */
  perCall?(method: GrayServerMethod, call: GrayServerCall): ServerCallJob | undefined;
}

function forwardMetadata(next: AnyListener, md: Metadata): void { next.onReceiveMetadata(md); }
function forwardMessage(next: AnyListener, message: unknown): void { next.onReceiveMessage(message); }
function forwardHalfClose(next: AnyListener, _: undefined): void { next.onReceiveHalfClose(); }
function forwardCancel(next: AnyListener, _: undefined): void { next.onCancel(); }

/**
 * Wraps the server's own listener: grpc-js calls the handler (unary and server-streaming from
 * half-close, client-streaming and bidi from metadata), emits `'data'` / `'end'` and `'cancelled'`
 * from these four methods, so running each inside the call's context reaches every call type.
 * Methods live on the prototype: no closure per call or per message. The context is entered once
 * per call and re-entered for each event (core/scope.ts: no frame copy per event on Node 24+).
 */
class GrayServerListener {
  private scope: GrayScope | undefined;

  constructor(
    private readonly next: AnyListener,
    private readonly call: GrayServerCall,
    private readonly path: string,
    private readonly jobs: readonly ServerCallJob[],
  ) {}

  onReceiveMetadata(md: Metadata): void {
    let ctx: GrayContext | undefined;
    for (const job of this.jobs) if (job.metadata !== undefined) ctx = job.metadata(md, ctx, this.call, this.path);
    if (ctx === undefined) {
      this.scope = undefined;
      return this.next.onReceiveMetadata(md);
    }
    const scope = (this.scope = grayScope(ctx));
    runInGrayScope(scope, forwardMetadata, this.next, md);
  }

  onReceiveMessage(message: unknown): void {
    if (this.scope === undefined) return this.next.onReceiveMessage(message);
    runInGrayScope(this.scope, forwardMessage, this.next, message);
  }

  onReceiveHalfClose(): void {
    if (this.scope === undefined) return this.next.onReceiveHalfClose();
    runInGrayScope(this.scope, forwardHalfClose, this.next, undefined);
  }

  onCancel(): void {
    for (const job of this.jobs) job.cancel?.();
    if (this.scope === undefined) return this.next.onCancel();
    runInGrayScope(this.scope, forwardCancel, this.next, undefined);
  }
}

/**
 * A grpc-js server interceptor doing `jobs`, in order, in one listener per call. It wraps the
 * listener the server passes to `start()` and patches the call in place: no intercepting layer is
 * added. A job order mistake is the caller's: the job that decides the context goes first.
 * Internal.
 */
export function serverInterceptorOf(jobs: readonly ServerJob[]): ServerInterceptor {
  const stateless = jobs.every((job) => job.perCall === undefined);
  const watchesStatus = jobs.some((job) => job.perCall !== undefined || job.status !== undefined);
  return (method, call) => {
    let perCall: readonly ServerCallJob[] = jobs;
    if (!stateless) {
      const own: ServerCallJob[] = [];
      for (const job of jobs) {
        const part = job.perCall === undefined ? job : job.perCall(method, call);
        if (part !== undefined) own.push(part);
      }
      perCall = own;
    }
    const start = call.start;
    call.start = (next) => start.call(call, new GrayServerListener(next, call, method.path, perCall));
    if (watchesStatus && perCall.some((job) => job.status !== undefined)) {
      const sendStatus = call.sendStatus;
      call.sendStatus = (status) => {
        for (const job of perCall) job.status?.(status);
        sendStatus.call(call, status);
      };
    }
    // The patched call is returned as-is; grpc-js only needs the ServerInterceptingCallInterface shape.
    return call as ServerInterceptingCall;
  };
}
