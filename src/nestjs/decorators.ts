/**
 * Parameter decorators that hand a Nest handler its gray context or stage, for HTTP and gRPC.
 * @packageDocumentation
 */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { getGrayContext, type GrayContext } from '../core/context.js';
import { defaultGrayPolicy } from '../core/policy.js';
import { getCallGrayContext } from '../grpc-js/index.js';

/**
 * The gray context of the request being handled. For a gRPC handler it is the context the
 * `grayServerInterceptor` decided for that very call (read from the call's metadata, so it is right
 * even where the async context was lost); otherwise (HTTP, or a gRPC call no interceptor saw) the
 * current context.
 */
function contextOf(ctx: ExecutionContext): GrayContext | undefined {
  if (ctx.getType() === 'rpc') {
    const metadata: unknown = ctx.switchToRpc().getContext();
    if (typeof metadata === 'object' && metadata !== null) {
      const decided = getCallGrayContext(metadata as Parameters<typeof getCallGrayContext>[0]);
      if (decided !== undefined) return decided;
    }
  }
  return getGrayContext();
}

// Built on first use, not at import time.
let contextDecorator: (() => ParameterDecorator) | undefined;
let stageDecorator: (() => ParameterDecorator) | undefined;

/**
 * Parameter decorator: the handler's {@link GrayContext} (`{ stage, explicit, entries }`), or
 * `undefined` when the request has none (a health-check path, or no graylane edge / interceptor in
 * front of the handler). Works for HTTP controllers (with `GrayModule`) and gRPC handlers (with
 * `withGrayGrpcServer`). Named `GrayCtx` so it does not clash with the `GrayContext` type.
 *
 * @example
 * \@GrpcMethod('Hop', 'Unary') unary(req: HopRequest, \@GrayCtx() gray: GrayContext | undefined) { ... }
 */
export function GrayCtx(): ParameterDecorator {
  contextDecorator ??= createParamDecorator((_data: unknown, ctx: ExecutionContext) => contextOf(ctx));
  return contextDecorator();
}

/**
 * Parameter decorator: the handler's release stage, e.g. `'canary'` — the default stage (`'stable'`
 * unless the default policy says otherwise) when the request has no gray context.
 *
 * @example
 * \@Get('price') price(\@ReleaseStage() stage: string) { ... }
 */
export function ReleaseStage(): ParameterDecorator {
  stageDecorator ??= createParamDecorator((_data: unknown, ctx: ExecutionContext) => contextOf(ctx)?.stage ?? defaultGrayPolicy().defaultStage);
  return stageDecorator();
}
