/**
 * EXPERIMENT, not the SDK: a leaner grpc-js client interceptor with grayClientInterceptor's
 * semantics (context entries merged into a copy of the caller's metadata, caller's keys win,
 * response callbacks in the caller's context), built from graylane's public API to measure a
 * proposed hot-path change. Instead of a grpc-js `InterceptingCall` per call (3 `bind`s, a requester
 * object, a closure per start / message / half-close) it returns a thin forwarding call, and no
 * layer at all when there is no context. Scenario `graylane-lean`.
 * @packageDocumentation
 */
import type { InterceptingCall, InterceptingListener, Interceptor, Metadata, NextCall, StatusObject } from '@grpc/grpc-js';
import { getGrayContext, runWithGrayContext, type GrayContext } from 'graylane';
import { grpcMetadataCarrier } from 'graylane/grpc-js';

type CallInterface = ReturnType<NextCall>;
type Listener = Partial<InterceptingListener>;

function deliverMetadata(next: Listener, md: Metadata): void { next.onReceiveMetadata?.(md); }
function deliverMessage(next: Listener, message: unknown): void { next.onReceiveMessage?.(message); }
function deliverStatus(next: Listener, status: StatusObject): void { next.onReceiveStatus?.(status); }

/** One-argument methods: grpc-js uses it as an InterceptingListener without wrapping it again. */
class LeanListener {
  constructor(private readonly ctx: GrayContext, private readonly next: Listener) {}
  onReceiveMetadata(md: Metadata): void { runWithGrayContext(this.ctx, deliverMetadata, this.next, md); }
  onReceiveMessage(message: unknown): void { runWithGrayContext(this.ctx, deliverMessage, this.next, message); }
  onReceiveStatus(status: StatusObject): void { runWithGrayContext(this.ctx, deliverStatus, this.next, status); }
}

/** Copy-on-write merge: `md` itself when the caller already holds every key. */
function merge(ctx: GrayContext, md: Metadata): Metadata {
  let out: Metadata | undefined;
  for (const key in ctx.entries) {
    if (md.get(key).length > 0) continue;
    out ??= md.clone();
    grpcMetadataCarrier.set(out, key, ctx.entries[key]!);
  }
  return out ?? md;
}

/** Forwards every operation; only `start` does work. */
class LeanCall {
  constructor(private readonly next: CallInterface, private readonly ctx: GrayContext) {}
  start(md: Metadata, listener?: Listener): void {
    this.next.start(merge(this.ctx, md), listener === undefined ? undefined : new LeanListener(this.ctx, listener));
  }
  sendMessageWithContext(context: object, message: unknown): void { this.next.sendMessageWithContext(context, message); }
  sendMessage(message: unknown): void { this.next.sendMessage(message); }
  startRead(): void { this.next.startRead(); }
  halfClose(): void { this.next.halfClose(); }
  cancelWithStatus(...args: Parameters<CallInterface['cancelWithStatus']>): void { this.next.cancelWithStatus(...args); }
  getPeer(): string { return this.next.getPeer(); }
  getAuthContext(): unknown {
    const next = this.next as { getAuthContext?: () => unknown };
    return next.getAuthContext?.() ?? null;
  }
}

/** The experimental lean interceptor (see the module comment). */
export function leanGrayClientInterceptor(): Interceptor {
  return (options, nextCall) => {
    const ctx = getGrayContext(); // interceptors run synchronously inside the client method call
    const next = nextCall(options);
    if (ctx === undefined) return next as InterceptingCall;
    return new LeanCall(next, ctx) as unknown as InterceptingCall;
  };
}
