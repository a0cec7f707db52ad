/**
 * nice-grpc server middleware: establishes the gray context from incoming metadata, binds the
 * handler's generator to it, and exposes it as `context.gray`.
 * @packageDocumentation
 */
import type { CallContext, Metadata, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';
import { extractGrayContext } from '../core/carrier.js';
import { grayStorage, type GrayContext } from '../core/context.js';
import { GrayConfigError } from '../core/errors.js';
import { CONTROL_KEYS } from '../core/control-keys.js';
import { resolvePolicy, type GrayPolicy, type GrayPolicyOptions } from '../core/policy.js';
import { bindAsyncGenerator, bindAsyncIterable } from '../core/bind-async.js';
import { niceMetadataCarrier } from './carrier.js';
import { recordNiceCallContext } from './call-context.js';

/** Options of {@link grayServerMiddleware}: a policy (or its options) plus server settings. */
export interface GrayServerMiddlewareOptions extends GrayPolicyOptions {
  /** A policy built with `createGrayPolicy`; when set, the policy options beside it are ignored. Default: built from the options. */
  readonly policy?: GrayPolicy;
  /**
   * Echo the resolved stage in the response header under the stage key (handy with curl and
   * grpcurl). A value the handler sets itself replaces it. Default `false`.
   */
  readonly echoStage?: boolean;
  /**
   * Decides the context from the incoming metadata instead of the default extraction, e.g. to apply
   * coloring rules at a gRPC edge. Receives the extracted context; if it throws, the extracted
   * context is kept. Default: none.
   */
  readonly resolve?: (extracted: GrayContext, metadata: Metadata, path: string, policy: GrayPolicy) => GrayContext;
}

/** What {@link grayServerMiddleware} adds to the handler's `CallContext`. */
export interface GrayCallContextExt {
  /** The call's gray context (the same value `getGrayContext()` returns inside the handler). */
  readonly gray: GrayContext;
}

type AnyGenerator<T> = AsyncGenerator<T, T | void, undefined>;

function callNext<Req, Res>(
  call: ServerMiddlewareCall<Req, Res, GrayCallContextExt>,
  request: ServerMiddlewareCall<Req, Res, GrayCallContextExt>['request'],
  context: CallContext & GrayCallContextExt,
): AnyGenerator<Res> {
  return call.next(request, context) as AnyGenerator<Res>;
}

/**
 * Creates a nice-grpc server middleware: `createServer().use(grayServerMiddleware())`.
 *
 * The handler of every call type sees the gray context (`getGrayContext()`, `getReleaseStage()`,
 * and `context.gray`): at entry, after `await`, after each `yield` of an async-generator handler and
 * inside `for await` over the request stream — isolated between concurrent calls. Install it first
 * (`use` it before other middleware) so the middleware after it see the context too.
 *
 * @throws GrayConfigError for bad policy options or a `resolve` that is not a function.
 */
export function grayServerMiddleware(options: GrayServerMiddlewareOptions = {}): ServerMiddleware<GrayCallContextExt> {
  const policy = resolvePolicy(options);
  const resolve = options.resolve;
  if (resolve !== undefined && typeof resolve !== 'function') {
    throw new GrayConfigError('graylane: grayServerMiddleware option resolve must be a function (extracted, metadata, path) => GrayContext.');
  }
  const echoKey = options.echoStage === true ? policy.stageKey : undefined;

  return function grayServerCall<Req, Res>(
    call: ServerMiddlewareCall<Req, Res, GrayCallContextExt>,
    context: CallContext,
  ): AnyGenerator<Res> {
    let ctx = extractGrayContext(context.metadata, niceMetadataCarrier, policy);
    if (resolve !== undefined) {
      try {
        ctx = resolve(ctx, context.metadata, call.method.path, policy);
      } catch {
        // A faulty resolver must not fail the call; keep the extracted context.
      }
    }
    if (echoKey !== undefined) {
      try {
        if (!context.header.has(echoKey)) context.header.set(echoKey, ctx.stage);
      } catch {
        // A stage nice-grpc cannot carry (only from a faulty resolve) is not echoed.
      }
    }
    // An untrusted caller does not get to drive graylane's control keys (a hop trace, forged hops).
    if (!policy.trustIncoming) for (const key of CONTROL_KEYS) context.metadata.delete(key);
    // For forwardGrayMetadata(context.metadata): the decision, not a re-read of the raw metadata.
    recordNiceCallContext(context.metadata, ctx, policy);
    const next: CallContext & GrayCallContextExt = { ...context, gray: ctx };
    const request = call.requestStream ? bindAsyncIterable(call.request, ctx) : call.request;
    // The next middleware is called inside ctx (a plain-function middleware runs code right away);
    // every step of the generator it returns then runs inside ctx too.
    const handler = grayStorage().run(ctx, callNext<Req, Res>, call, request, next);
    return bindAsyncGenerator(handler, ctx);
  };
}
