/**
 * grpc-js client interceptor: merges the current gray context into outgoing metadata and runs the
 * response callbacks in the caller's context (or in none, for a call made outside any context).
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { Interceptor, InterceptingListener, Metadata, Requester, StatusObject } from '@grpc/grpc-js';
import { bindGrayContext, getGrayContext, grayStorage, runOutsideGrayContext, type GrayContext } from '../core/context.js';
import { decidedCall, stripPolicyKeys } from './call-context.js';
import { mergeIntoMetadata } from './forward.js';

/** Options of {@link grayClientInterceptor}. */
export interface GrayClientInterceptorOptions {
  /** Replace keys the caller set explicitly. Default `false`: the caller's values win. */
  readonly overwrite?: boolean;
}

function deliverMetadata(next: InterceptingListener, md: Metadata): void { next.onReceiveMetadata(md); }
function deliverMessage(next: InterceptingListener, message: unknown): void { next.onReceiveMessage(message); }
function deliverStatus(next: InterceptingListener, status: StatusObject): void { next.onReceiveStatus(status); }

/** Delivers response events inside the caller's context (grpc-js uses it as-is: one-argument methods). */
class GrayClientListener implements InterceptingListener {
  constructor(
    private readonly ctx: GrayContext,
    private readonly next: InterceptingListener,
  ) {}

  onReceiveMetadata(metadata: Metadata): void {
    grayStorage().run(this.ctx, deliverMetadata, this.next, metadata);
  }

  onReceiveMessage(message: unknown): void {
    grayStorage().run(this.ctx, deliverMessage, this.next, message);
  }

  onReceiveStatus(status: StatusObject): void {
    grayStorage().run(this.ctx, deliverStatus, this.next, status);
  }
}

/**
 * Delivers response events with NO gray context. grpc-js runs them in the async context of whatever
 * opened the HTTP/2 connection — possibly another request's: a call made outside any context must
 * not see (nor pass on) that stranger's stage.
 */
class NoContextListener implements InterceptingListener {
  constructor(private readonly next: InterceptingListener) {}

  onReceiveMetadata(metadata: Metadata): void {
    runOutsideGrayContext(deliverMetadata, this.next, metadata);
  }

  onReceiveMessage(message: unknown): void {
    runOutsideGrayContext(deliverMessage, this.next, message);
  }

  onReceiveStatus(status: StatusObject): void {
    runOutsideGrayContext(deliverStatus, this.next, status);
  }
}

/** grpc-js's per-message context (`MessageContext`, not exported by grpc-js under its own name). */
type MessageContext = Parameters<grpc.InterceptingCall['sendMessageWithContext']>[0];

/**
 * The call the interceptor returns: a grpc-js `InterceptingCall` whose write callbacks run in the
 * writer's context. grpc-js buffers a message while the connection is being set up and then calls
 * its callback from the connection's async context — another request's, when that one opened it.
 */
class GrayInterceptingCall extends grpc.InterceptingCall {
  override sendMessageWithContext(context: MessageContext, message: unknown): void {
    const callback = context.callback;
    super.sendMessageWithContext(callback === undefined ? context : { ...context, callback: bindGrayContext(callback) }, message);
  }
}

/**
 * Creates a grpc-js client interceptor for `new Client(address, credentials, { interceptors: [...] })`
 * (or a per-call `interceptors` option — note that per-call interceptors *replace* the client's).
 *
 * When a call starts inside a gray context, the context's entries are added to a copy of the
 * outgoing metadata (the caller's `Metadata` object is never modified); keys the caller set win.
 * Outgoing metadata that is a server call's incoming `Metadata` passed on as-is (`call.metadata`)
 * is the exception: the keys the server's policy governs are the remote caller's, not yours, so
 * they are dropped and that call's decided context (or the current one) is sent instead.
 * Response metadata, messages and status callbacks run in the caller's context; for a call made
 * outside any gray context they run with none (never in the context of the request that happened
 * to open the connection). Stream write callbacks run in the context of the code that wrote.
 */
export function grayClientInterceptor(options: GrayClientInterceptorOptions = {}): Interceptor {
  const overwrite = options.overwrite === true;
  // One requester for every call: start() reads the caller's context synchronously.
  const requester: Partial<Requester> = {
    start(metadata, listener, next) {
      let ctx = getGrayContext();
      const incoming = decidedCall(metadata);
      if (incoming !== undefined) {
        // A server call's incoming metadata passed on as-is: its gray keys are the caller's claims,
        // not keys set here. Drop them; the decided (or current) context is added below.
        metadata = metadata.clone();
        stripPolicyKeys(metadata, incoming.policy);
        ctx ??= incoming.ctx;
      }
      if (ctx === undefined) return next(metadata, new NoContextListener(listener as InterceptingListener));
      next(mergeIntoMetadata(ctx, metadata, overwrite), new GrayClientListener(ctx, listener as InterceptingListener));
    },
  };
  return (callOptions, nextCall) => new GrayInterceptingCall(nextCall(callOptions), requester);
}
