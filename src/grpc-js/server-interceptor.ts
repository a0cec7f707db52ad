/**
 * grpc-js server interceptor: establishes the gray context from incoming metadata and makes it
 * visible to the handler for all four call types.
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { Metadata, ServerInterceptor } from '@grpc/grpc-js';
import { extractGrayContext } from '../core/carrier.js';
import type { GrayContext } from '../core/context.js';
import { CONTROL_KEYS } from '../core/control-keys.js';
import { GrayConfigError } from '../core/errors.js';
import { resolvePolicy, type GrayPolicy, type GrayPolicyOptions } from '../core/policy.js';
import { grpcMetadataCarrier } from './carrier.js';
import { recordCallContext } from './call-context.js';
import { serverInterceptorOf, type GrayServerCall, type ServerCallJob, type ServerJob } from './server-call.js';

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

interface ContextState {
  readonly policy: GrayPolicy;
  readonly resolve: GrayServerInterceptorOptions['resolve'];
}

/** Decides a call's context from its incoming metadata, and records it for `getCallGrayContext`. */
function decide(state: ContextState, md: Metadata, path: string): GrayContext {
  const { policy, resolve } = state;
  let ctx = extractGrayContext(md, grpcMetadataCarrier, policy);
  if (resolve !== undefined) {
    try {
      ctx = resolve(ctx, md, path, policy);
    } catch {
      // A faulty resolver must not fail the call; keep the extracted context.
    }
  }
  // An untrusted caller does not get to drive graylane's control keys (a hop trace, forged hops):
  // the jobs after this one and the handler see the metadata without them.
  if (!policy.trustIncoming) for (const key of CONTROL_KEYS) md.remove(key);
  // For forwardGrayMetadata(call) / getCallGrayContext(call): the handler's call.metadata is md.
  recordCallContext(md, ctx, state.policy);
  return ctx;
}

/** A copy of `md` (or a new Metadata) holding `key: stage`, unless `md` already holds `key`. */
function withEcho(md: Metadata | undefined, key: string, stage: string): Metadata {
  const out = md === undefined ? new grpc.Metadata() : md.clone();
  if (out.get(key).length === 0) out.set(key, stage);
  return out;
}

/** The context job of a call with `echoStage`: remembers the decided stage and echoes it in the reply. */
class EchoingContextCall implements ServerCallJob {
  private ctx: GrayContext | undefined;
  private headersSent = false;

  constructor(private readonly state: ContextState, key: string, call: GrayServerCall) {
    const sendMetadata = call.sendMetadata;
    call.sendMetadata = (md) => {
      this.headersSent = true;
      sendMetadata.call(call, withEcho(md, key, this.stage()));
    };
    // A call that fails before sending headers gets a trailers-only reply: echo the stage there.
    const sendStatus = call.sendStatus;
    call.sendStatus = (status) => {
      sendStatus.call(call, this.headersSent ? status : { ...status, metadata: withEcho(status.metadata ?? undefined, key, this.stage()) });
    };
  }

  private stage(): string {
    return (this.ctx ?? this.state.policy.defaultContext).stage;
  }

  metadata(md: Metadata, _ctx: GrayContext | undefined, _call: GrayServerCall, path: string): GrayContext {
    return (this.ctx = decide(this.state, md, path));
  }
}

/** The context job, with the policy it decides with (the composer hands it to the feeds). Internal. */
export interface ContextServerJob extends ServerJob {
  /** The policy the calls' contexts are decided with. */
  readonly policy: GrayPolicy;
}

/**
 * The context job of a grpc-js server interceptor: decides each call's context (extraction under
 * the policy, then `resolve`), records it, and — with `echoStage` — echoes the stage in the reply.
 * It goes first: the jobs after it see its decision. Without `echoStage` it is stateless (nothing
 * allocated per call). Internal.
 * @throws GrayConfigError for bad policy options.
 */
export function contextServerJob(options: GrayServerInterceptorOptions): ContextServerJob {
  const policy = resolvePolicy(options);
  const state: ContextState = { policy, resolve: options.resolve };
  const echoKey = options.echoStage === true ? policy.stageKey : undefined;
  return {
    policy,
    metadata: (md, _ctx, _call, path) => decide(state, md, path),
    perCall: echoKey === undefined ? undefined : (_method, call) => new EchoingContextCall(state, echoKey, call),
  };
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
  return serverInterceptorOf([contextServerJob(options)]);
}
