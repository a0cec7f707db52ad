/**
 * grpc-js server interceptor: establishes the gray context from incoming metadata and makes it
 * visible to the handler for all four call types.
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { Metadata, ServerInterceptingCall, ServerInterceptingCallInterface, ServerInterceptor } from '@grpc/grpc-js';
import { extractGrayContext } from '../core/carrier.js';
import { grayStorage, type GrayContext } from '../core/context.js';
import { GrayConfigError } from '../core/errors.js';
import { CONTROL_KEYS } from '../core/control-keys.js';
import { resolvePolicy, type GrayPolicy, type GrayPolicyOptions } from '../core/policy.js';
import { grpcMetadataCarrier } from './carrier.js';
import { recordCallContext } from './call-context.js';

/** Options of {@link grayServerInterceptor}: a policy (or its options) plus server settings. */
export interface GrayServerInterceptorOptions extends GrayPolicyOptions {
  /** A policy built with `createGrayPolicy`; when set, the policy options beside it are ignored. Default: built from the options. */
  readonly policy?: GrayPolicy;
  /**
   * Echo the resolved stage in the response headers under the stage key (handy with curl and
   * grpcurl) — in the trailers of a trailers-only reply (a call that fails before sending headers).
   * A value the handler set itself is kept. Default `false`.
   */
  readonly echoStage?: boolean;
  /**
   * Decides the context from the incoming metadata instead of the default extraction, e.g. to apply
   * coloring rules at a gRPC edge (`coloringResolver(...)`). Receives the extracted context, the
   * metadata, the method path (`/package.Service/Method`) and this interceptor's policy (so a
   * resolver honours its `trustIncoming`); a throwing resolver keeps the
   * extracted context. Default: none.
   */
  readonly resolve?: (extracted: GrayContext, metadata: Metadata, path: string, policy: GrayPolicy) => GrayContext;
}

/** The listener grpc-js passes to `call.start()` (not exported by grpc-js under its own name). */
type AnyListener = Parameters<ServerInterceptingCallInterface['start']>[0];

function forwardMetadata(next: AnyListener, md: Metadata): void { next.onReceiveMetadata(md); }
function forwardMessage(next: AnyListener, message: unknown): void { next.onReceiveMessage(message); }
function forwardHalfClose(next: AnyListener): void { next.onReceiveHalfClose(); }
function forwardCancel(next: AnyListener): void { next.onCancel(); }

/**
 * Wraps the server's own listener: grpc-js calls the handler (unary and server-streaming from
 * half-close, client-streaming and bidi from metadata), emits `'data'` / `'end'` and `'cancelled'`
 * from these four methods, so running each inside the context reaches every call type.
 * Methods live on the prototype: no closure per call or per message.
 */
class GrayServerListener {
  private ctx: GrayContext;

  constructor(
    private readonly next: AnyListener,
    private readonly interceptor: InterceptorState,
    private readonly path: string,
  ) {
    this.ctx = interceptor.policy.defaultContext;
  }

  onReceiveMetadata(md: Metadata): void {
    const { policy, resolve } = this.interceptor;
    let ctx = extractGrayContext(md, grpcMetadataCarrier, policy);
    if (resolve !== undefined) {
      try {
        ctx = resolve(ctx, md, this.path, policy);
      } catch {
        // A faulty resolver must not fail the call; keep the extracted context.
      }
    }
    this.ctx = ctx;
    // An untrusted caller does not get to drive graylane's control keys (a hop trace, forged hops):
    // later interceptors and the handler see the metadata without them.
    if (!policy.trustIncoming) for (const key of CONTROL_KEYS) md.remove(key);
    // For forwardGrayMetadata(call) / getCallGrayContext(call): the handler's call.metadata is md.
    recordCallContext(md, ctx, policy);
    grayStorage().run(ctx, forwardMetadata, this.next, md);
  }

  onReceiveMessage(message: unknown): void {
    grayStorage().run(this.ctx, forwardMessage, this.next, message);
  }

  onReceiveHalfClose(): void {
    grayStorage().run(this.ctx, forwardHalfClose, this.next);
  }

  onCancel(): void {
    grayStorage().run(this.ctx, forwardCancel, this.next);
  }

  /** The call's context, for the response-side hooks. */
  get context(): GrayContext {
    return this.ctx;
  }
}

interface InterceptorState {
  readonly policy: GrayPolicy;
  readonly resolve: GrayServerInterceptorOptions['resolve'];
}

/** A copy of `md` (or a new Metadata) holding `key: stage`, unless `md` already holds `key`. */
function withEcho(md: Metadata | undefined, key: string, stage: string): Metadata {
  const out = md === undefined ? new grpc.Metadata() : md.clone();
  if (out.get(key).length === 0) out.set(key, stage);
  return out;
}

/** Throws when the installed grpc-js has no server interceptors (before 1.10.0 they are silently ignored). */
export function assertServerInterceptorSupport(): void {
  if (typeof (grpc as { ServerInterceptingCall?: unknown }).ServerInterceptingCall !== 'function') {
    throw new GrayConfigError(
      'graylane: the installed @grpc/grpc-js has no server interceptors (added in 1.10.0); older versions silently ignore them. Upgrade with `npm install @grpc/grpc-js@^1.10`.',
    );
  }
}

/**
 * Creates a grpc-js server interceptor for `new Server({ interceptors: [grayServerInterceptor()] })`.
 *
 * The handler of every call type sees the gray context (`getGrayContext()`, `getReleaseStage()`):
 * at entry, after `await`, in `'data'`, `'end'` and `'cancelled'` listeners — isolated between
 * concurrent calls. Downstream calls made through `grayClientInterceptor` or `forwardGrayMetadata()`
 * carry it on; `forwardGrayMetadata(call)` and `getCallGrayContext(call)` return exactly the context
 * decided here for that call.
 *
 * @throws GrayConfigError for bad policy options, or when grpc-js is older than 1.10.0.
 */
export function grayServerInterceptor(options: GrayServerInterceptorOptions = {}): ServerInterceptor {
  assertServerInterceptorSupport();
  const state: InterceptorState = { policy: resolvePolicy(options), resolve: options.resolve };
  const echoKey = options.echoStage === true ? state.policy.stageKey : undefined;

  return (descriptor, call) => {
    // Wrap the listener the server passes to start(); no extra intercepting layer is added.
    const start = call.start;
    let listener: GrayServerListener | undefined;
    call.start = (next) => {
      listener = new GrayServerListener(next, state, descriptor.path);
      start.call(call, listener);
    };
    if (echoKey !== undefined) {
      const stage = (): string => (listener?.context ?? state.policy.defaultContext).stage;
      let headersSent = false;
      const sendMetadata = call.sendMetadata;
      call.sendMetadata = (md) => {
        headersSent = true;
        sendMetadata.call(call, withEcho(md, echoKey, stage()));
      };
      // A call that fails before sending headers gets a trailers-only reply: echo the stage there.
      const sendStatus = call.sendStatus;
      call.sendStatus = (status) => {
        sendStatus.call(call, headersSent ? status : { ...status, metadata: withEcho(status.metadata ?? undefined, echoKey, stage()) });
      };
    }
    // The patched call is returned as-is; grpc-js only needs the ServerInterceptingCallInterface shape.
    return call as ServerInterceptingCall;
  };
}
