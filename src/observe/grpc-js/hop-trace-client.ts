/**
 * grpc-js client interceptor of the hop trace: collects downstream `x-gray-hops` trailers into the
 * traced request's trace, and can opt calls into tracing.
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { Interceptor, InterceptingListener, Metadata, StatusObject } from '@grpc/grpc-js';
import { getGrayContext } from '../../core/context.js';
import { getHopCollector, type HopCollector } from '../hop-collector.js';
import { HOP_TRACE_KEY, HOPS_TRAILER_KEY } from '../hop-trace.js';

/** Options of {@link grayHopTraceClientInterceptor}. */
export interface GrayHopTraceClientOptions {
  /** Ask for a trace on every call made through this interceptor (a debugging client, a CLI). Default `false`. */
  readonly trace?: boolean;
}

/** Hands the downstream trailer to the request's collector (one-argument methods: grpc-js uses it as-is). */
class HopClientListener implements InterceptingListener {
  constructor(private readonly next: InterceptingListener, private readonly collector: HopCollector) {}
  onReceiveMetadata(md: Metadata): void { this.next.onReceiveMetadata(md); }
  onReceiveMessage(message: unknown): void { this.next.onReceiveMessage(message); }
  onReceiveStatus(status: StatusObject): void {
    this.collector.addDownstream(status.metadata?.get(HOPS_TRAILER_KEY)[0]);
    this.next.onReceiveStatus(status);
  }
}

function withFlag(md: Metadata): Metadata {
  if (md.get(HOP_TRACE_KEY).length > 0) return md;
  const out = md.clone();
  out.set(HOP_TRACE_KEY, '1');
  return out;
}

/**
 * Creates a grpc-js client interceptor for the hop trace. Inside a traced request it adds
 * `x-gray-trace: 1` to the call (when missing) and collects the call's `x-gray-hops` trailer into
 * the request's trace; with `{ trace: true }` it asks for a trace on every call. Outside traced
 * requests (and without `trace`) it costs one store and one WeakMap lookup per call.
 */
export function grayHopTraceClientInterceptor(options: GrayHopTraceClientOptions = {}): Interceptor {
  const always = options.trace === true;
  const requester: Partial<grpc.Requester> = {
    start(md, listener, next) {
      const collector = getHopCollector(getGrayContext());
      if (collector !== undefined) return next(withFlag(md), new HopClientListener(listener as InterceptingListener, collector));
      next(always ? withFlag(md) : md, listener);
    },
  };
  return (callOptions, nextCall) => new grpc.InterceptingCall(nextCall(callOptions), requester);
}

/** Adds `x-gray-trace: 1` to `md` (default: a new `Metadata`) so the call returns its hop trace. */
export function withHopTrace(md: Metadata = new grpc.Metadata()): Metadata {
  md.set(HOP_TRACE_KEY, '1');
  return md;
}
