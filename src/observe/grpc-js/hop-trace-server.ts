/**
 * grpc-js server feed of the hop trace (a job, and an interceptor of its own): reports this server's hop (and its downstream
 * calls') in the `x-gray-hops` trailer of traced calls.
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { Metadata, ServerInterceptor } from '@grpc/grpc-js';
import { decidedContext } from '../../core/call-stage.js';
import { defaultGrayPolicy, type GrayPolicy } from '../../core/policy.js';
import { serverInterceptorOf, type ServerJob } from '../../grpc-js/server-call.js';
import { hopNames, startHopTrace, traceAcceptor } from '../hop-collector.js';
import { HOP_TRACE_KEY, HOPS_TRAILER_KEY } from '../hop-trace.js';

/** Options of {@link grayHopTraceServerInterceptor}. */
export interface GrayHopTraceServerOptions {
  /** Service name reported in this server's hop. Required; `[A-Za-z0-9._:@/-]`, 1–128 characters. */
  readonly service: string;
  /** Instance name reported in this server's hop. Default `<hostname>:<pid>` (other characters become `_`). */
  readonly instance?: string;
  /** Policy naming the default stage, reported when no gray context is current (metadata is never read). Default: the default policy. */
  readonly policy?: GrayPolicy;
  /**
   * Decides whether a call's trace request is honoured (called only for calls carrying
   * `x-gray-trace: 1`; a throw counts as `false`). Set it on servers facing untrusted clients — a
   * trace reveals service and instance names — e.g. `(md) => md.get('x-debug-token')[0] === token`.
   * Default: every trace request is honoured.
   */
  readonly accept?: (metadata: Metadata) => boolean;
}

/**
 * The hop-trace server job: for a call asking for a trace (and accepted), starts the request's trace
 * from the context decided before it (the context job's, else the current one, else the policy's
 * default), runs the call in the trace's own context and adds the `x-gray-hops` trailer to its
 * status. Untraced calls: one metadata lookup, context unchanged. Stateless. Internal.
 * @throws GrayConfigError as {@link grayHopTraceServerInterceptor}.
 */
export function serverHopTraceJob(options: GrayHopTraceServerOptions): ServerJob {
  const names = hopNames(options);
  const policy = options.policy ?? defaultGrayPolicy();
  const accepts = traceAcceptor(options.accept);
  return {
    metadata(md, ctx, call) {
      if (md.get(HOP_TRACE_KEY)[0] !== '1' || !accepts(md)) return ctx;
      const trace = startHopTrace(ctx ?? decidedContext(policy), names);
      // Wrap whatever sendStatus is installed now: every interceptor has patched it by this point.
      const sendStatus = call.sendStatus;
      call.sendStatus = (status) => {
        const trailers = status.metadata?.clone() ?? new grpc.Metadata();
        trailers.set(HOPS_TRAILER_KEY, trace.collector.encode());
        sendStatus.call(call, { ...status, metadata: trailers });
      };
      return trace.ctx;
    },
  };
}

/**
 * Creates a grpc-js server interceptor that, for calls carrying `x-gray-trace: 1`, adds this
 * server's hop — service, instance, resolved stage, explicit — and the hops of the downstream calls
 * it made in that request to the `x-gray-hops` response trailer. List it **after**
 * `grayServerInterceptor()`: listed before it, the hop reports the default stage (the caller's
 * metadata is never read). A traced call's context carries `x-gray-trace: 1`, so
 * `grayClientInterceptor` forwards the flag; give downstream clients
 * `grayHopTraceClientInterceptor` too so their trailers are collected.
 * Untraced calls cost one metadata lookup. `grayGrpcServerStack({ hopTrace })` does the same in
 * the right order, in one layer.
 *
 * @throws GrayConfigError for a missing or invalid `service` / `instance`, or a non-function `accept`.
 */
export function grayHopTraceServerInterceptor(options: GrayHopTraceServerOptions): ServerInterceptor {
  return serverInterceptorOf([serverHopTraceJob(options)]);
}
