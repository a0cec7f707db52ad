/**
 * nice-grpc middleware of the hop trace — the counterparts of `grayHopTraceServerInterceptor` and
 * `grayHopTraceClientInterceptor`, so nice-grpc services and clients appear in the trace too.
 * @packageDocumentation
 */
import { Metadata, type CallContext, type ClientMiddleware, type ServerMiddleware, type ServerMiddlewareCall } from 'nice-grpc-common';
import { bindAsyncGenerator } from '../../core/bind-async.js';
import { decidedContext } from '../../core/call-stage.js';
import { getGrayContext } from '../../core/context.js';
import { defaultGrayPolicy } from '../../core/policy.js';
import { getHopCollector, hopNames, startHopTrace, traceAcceptor } from '../hop-collector.js';
import { HOPS_TRAILER_KEY, HOP_TRACE_KEY } from '../hop-trace.js';

/** Options of {@link grayHopTraceClientMiddleware}. */
export interface GrayHopTraceClientMiddlewareOptions {
  /** Ask for a trace on every call made through this client. Default `false`. */
  readonly trace?: boolean;
}

/**
 * Creates a nice-grpc client middleware that, inside a traced request, collects each call's
 * `x-gray-hops` trailer into the request's trace (and adds `x-gray-trace: 1` when missing). The
 * caller's `Metadata` is never modified. Outside traced requests it costs one WeakMap lookup.
 */
export function grayHopTraceClientMiddleware(options: GrayHopTraceClientMiddlewareOptions = {}): ClientMiddleware {
  const always = options.trace === true;
  return async function* hopTrace(call, callOptions) {
    const collector = getHopCollector(getGrayContext());
    if (collector === undefined && !always) return yield* call.next(call.request, callOptions);
    const metadata = Metadata(callOptions.metadata);
    if (!metadata.has(HOP_TRACE_KEY)) metadata.set(HOP_TRACE_KEY, '1');
    const onTrailer = callOptions.onTrailer;
    return yield* call.next(call.request, {
      ...callOptions,
      metadata,
      onTrailer(trailer) {
        collector?.addDownstream(trailer.get(HOPS_TRAILER_KEY));
        onTrailer?.(trailer);
      },
    });
  };
}

/** Options of {@link grayHopTraceServerMiddleware}. */
export interface GrayHopTraceServerMiddlewareOptions {
  /** Service name recorded in the hop, e.g. `'inventory'`. Required. */
  readonly service: string;
  /** Instance name recorded in the hop. Default: `<hostname>:<pid>`. */
  readonly instance?: string;
  /**
   * Decides whether to honour a trace request (asked only for calls carrying `x-gray-trace: 1`; a
   * throw counts as `false`). Set it at an edge facing untrusted clients. Default: every request honoured.
   */
  readonly accept?: (metadata: CallContext['metadata']) => boolean;
}

/**
 * Creates a nice-grpc server middleware that, for calls carrying `x-gray-trace: 1`, adds this
 * server's hop and the hops of the downstream calls it made to the `x-gray-hops` trailer. Use it
 * **after** `grayServerMiddleware()` (`.use(grayServerMiddleware()).use(grayHopTraceServerMiddleware({ service }))`)
 * so it sees the request's stage. Untraced calls cost one metadata lookup.
 *
 * @throws GrayConfigError for a missing or invalid `service` / `instance`, or a non-function `accept`.
 */
export function grayHopTraceServerMiddleware(options: GrayHopTraceServerMiddlewareOptions): ServerMiddleware {
  const names = hopNames(options);
  const accepts = traceAcceptor(options.accept);
  return async function* hopTraceServer<Req, Res>(call: ServerMiddlewareCall<Req, Res>, context: CallContext) {
    if (context.metadata.get(HOP_TRACE_KEY) !== '1' || !accepts(context.metadata)) return yield* call.next(call.request, context);
    const { ctx, collector } = startHopTrace(decidedContext(defaultGrayPolicy()), names);
    try {
      return yield* bindAsyncGenerator(call.next(call.request, context) as AsyncGenerator<Res, Res | void, undefined>, ctx);
    } finally {
      context.trailer.set(HOPS_TRAILER_KEY, collector.encode());
    }
  };
}
