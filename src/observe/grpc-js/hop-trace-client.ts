/**
 * grpc-js client feed of the hop trace (a job, and an interceptor of its own): collects downstream `x-gray-hops` trailers into the
 * traced request's trace, and can opt calls into tracing.
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { Interceptor, Metadata, StatusObject } from '@grpc/grpc-js';
import { getGrayContext } from '../../core/context.js';
import { clientInterceptorOf, type ClientCallWatcher, type ClientJob } from '../../grpc-js/client-call.js';
import { getHopCollector, type HopCollector } from '../hop-collector.js';
import { HOP_TRACE_KEY, HOPS_TRAILER_KEY } from '../hop-trace.js';

/** Options of {@link grayHopTraceClientInterceptor}. */
export interface GrayHopTraceClientOptions {
  /** Ask for a trace on every call made through this interceptor (a debugging client, a CLI). Default `false`. */
  readonly trace?: boolean;
}

/** Hands the downstream trailer to the request's collector. */
class HopWatcher implements ClientCallWatcher {
  constructor(private readonly collector: HopCollector) {}
  onStatus(status: StatusObject): void {
    this.collector.addDownstream(status.metadata?.get(HOPS_TRAILER_KEY)[0]);
  }
}

function withFlag(md: Metadata): Metadata {
  if (md.get(HOP_TRACE_KEY).length > 0) return md;
  const out = md.clone();
  out.set(HOP_TRACE_KEY, '1');
  return out;
}

/**
 * The hop-trace client job: inside a traced request, flags the call and collects its trailer into
 * the request's trace; with `trace`, flags every call. Internal.
 */
export function clientHopTraceJob(options: GrayHopTraceClientOptions): ClientJob {
  const always = options.trace === true;
  return {
    start(call) {
      const collector = getHopCollector(getGrayContext());
      if (collector !== undefined) {
        call.metadata = withFlag(call.metadata);
        call.watch(new HopWatcher(collector));
      } else if (always) {
        call.metadata = withFlag(call.metadata);
      }
    },
  };
}

/**
 * Creates a grpc-js client interceptor for the hop trace. Inside a traced request it adds
 * `x-gray-trace: 1` to the call (when missing) and collects the call's `x-gray-hops` trailer into
 * the request's trace; with `{ trace: true }` it asks for a trace on every call. Outside traced
 * requests (and without `trace`) it costs one store and one WeakMap lookup per call.
 * `grayGrpcClientStack({ hopTrace: true })` does the same in one layer with the context.
 */
export function grayHopTraceClientInterceptor(options: GrayHopTraceClientOptions = {}): Interceptor {
  return clientInterceptorOf([clientHopTraceJob(options)]);
}

/** Adds `x-gray-trace: 1` to `md` (default: a new `Metadata`) so the call returns its hop trace. */
export function withHopTrace(md: Metadata = new grpc.Metadata()): Metadata {
  md.set(HOP_TRACE_KEY, '1');
  return md;
}
