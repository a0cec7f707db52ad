/**
 * `GrayModule`: installs graylane's HTTP edge (`graylane/http`) on a Nest HTTP app, on the Express
 * and the Fastify platforms, and makes the edge's policy injectable under `GRAY_POLICY`.
 * @packageDocumentation
 */
import type { DynamicModule, ModuleMetadata, Provider } from '@nestjs/common';
import { AbstractHttpAdapter, HttpAdapterHost } from '@nestjs/core';
import { GrayConfigError } from '../core/errors.js';
import { createGrayPolicy, type GrayPolicy } from '../core/policy.js';
import { grayFastifyPlugin, grayHttpMiddleware, type FastifyHookHost, type GrayHttpMiddleware, type GrayHttpOptions } from '../http/index.js';

/** Injection token of the edge's `GrayPolicy`: `constructor(@Inject(GRAY_POLICY) policy: GrayPolicy)`. */
export const GRAY_POLICY = 'graylane.GrayPolicy';

const OPTIONS = 'graylane.GrayModuleOptions';
const EDGE = 'graylane.GrayEdge';
const INSTALL = 'graylane.GrayEdgeInstalled';

/** Options of `GrayModule.forRootAsync`: options built by a Nest factory provider. */
export interface GrayModuleAsyncOptions {
  /** Modules whose providers `useFactory` injects (e.g. a `ConfigModule`). Default: none. */
  readonly imports?: ModuleMetadata['imports'];
  /** Tokens whose providers are passed to `useFactory`, in order. Default: none. */
  readonly inject?: NonNullable<Extract<Provider, { useFactory: unknown }>['inject']>;
  /** Returns the edge options (those of `GrayModule.forRoot`); may be async. */
  readonly useFactory: (...args: never[]) => GrayHttpOptions | Promise<GrayHttpOptions>;
}

/** The validated edge: one policy, shared by the middleware / plugin and `GRAY_POLICY`. */
interface PreparedEdge {
  readonly policy: GrayPolicy;
  readonly options: GrayHttpOptions;
  readonly middleware: GrayHttpMiddleware;
}

function prepareEdge(options: GrayHttpOptions = {}): PreparedEdge {
  if (typeof options !== 'object' || options === null) throw new GrayConfigError('graylane: GrayModule.forRoot options must be an object (or omitted).');
  // The edge's trustIncoming is the edge's decision, not the policy's (an internal hop keeps trusting).
  const { trustIncoming: _edgeTrust, ...policyOptions } = options;
  const policy = options.policy ?? createGrayPolicy(policyOptions);
  const edgeOptions: GrayHttpOptions = { ...options, policy };
  return { policy, options: edgeOptions, middleware: grayHttpMiddleware(edgeOptions) };
}

type HttpAdapter = NonNullable<HttpAdapterHost['httpAdapter']>;

/**
 * The Fastify instance as the plugin sees it, except that its `onRequest` hook goes into the
 * adapter's `setOnRequestHook` slot: Nest registers middie (Nest middleware) while it creates the
 * app, before any provider runs, and the slot's hook is the one `onRequest` hook that runs before
 * middie — so Nest middleware sees the context too. A hook the app had set there runs after ours.
 */
function fastifyHost(adapter: HttpAdapter): FastifyHookHost {
  const instance = adapter.getInstance<FastifyHookHost>();
  const hasSlot = typeof adapter.setOnRequestHook === 'function' && adapter.setOnRequestHook !== AbstractHttpAdapter.prototype.setOnRequestHook;
  if (!hasSlot) return instance;
  type Hook = Parameters<FastifyHookHost['addHook']>[1];
  const previous = (adapter as unknown as { onRequestHook?: Hook }).onRequestHook;
  return {
    addHook(name, hook) {
      if (name !== 'onRequest') return instance.addHook(name, hook);
      adapter.setOnRequestHook(previous === undefined ? hook : (request: Parameters<Hook>[0], reply: Parameters<Hook>[1], done: Parameters<Hook>[2]) =>
        hook(request, reply, (err) => (err === undefined || err === null ? previous(request, reply, done) : done(err))));
      return instance;
    },
  };
}

/** Puts the edge in front of every route of the app's HTTP adapter; nothing in a microservice-only app. */
function installEdge(edge: PreparedEdge, host: HttpAdapterHost | undefined): boolean {
  const adapter = host?.httpAdapter;
  if (adapter === undefined || adapter === null) return false;
  const type = adapter.getType();
  if (type === 'fastify') {
    let failure: Error | undefined;
    grayFastifyPlugin(fastifyHost(adapter), edge.options, (err) => (failure = err));
    if (failure !== undefined) throw failure;
    return true;
  }
  if (type === 'express') {
    adapter.use(edge.middleware);
    return true;
  }
  throw new GrayConfigError(
    `graylane: GrayModule supports the Express and Fastify platforms, not ${JSON.stringify(type)}; install grayHttpMiddleware from graylane/http on that adapter yourself.`,
  );
}

function moduleOf(edgeProvider: Provider, options: { imports?: ModuleMetadata['imports']; extra?: Provider[] } = {}): DynamicModule {
  return {
    module: GrayModule,
    global: true,
    imports: options.imports ?? [],
    providers: [
      ...(options.extra ?? []),
      edgeProvider,
      { provide: GRAY_POLICY, useFactory: (edge: PreparedEdge) => edge.policy, inject: [EDGE] },
      { provide: INSTALL, useFactory: installEdge, inject: [EDGE, { token: HttpAdapterHost, optional: true }] },
    ],
    exports: [GRAY_POLICY],
  };
}

/**
 * The graylane module for Nest. `GrayModule.forRoot(options)` in the root module's `imports`:
 *
 * - on an HTTP app, installs the graylane HTTP edge in front of every route — `grayHttpMiddleware`
 *   on the Express platform, the `grayFastifyPlugin` hooks on the Fastify platform — before Nest's
 *   body parsers and middleware, so middleware, guards, interceptors, pipes, the handler, exception
 *   filters and request-scoped (async) providers all run inside the request's gray context. The
 *   edge decides the stage as `graylane/http` does: a client-supplied stage only when trusted
 *   (`trustIncoming`, default `false`, or a `trust` rule), else the coloring `rules`, else the
 *   default stage;
 * - provides the edge's policy under {@link GRAY_POLICY} (global module: injectable everywhere).
 *
 * In a microservice-only app (`createMicroservice`) it installs nothing; use `withGrayGrpcServer`
 * there. Import it once, in the root module. No decorator metadata is needed.
 */
export class GrayModule {
  /**
   * The module with `options` (those of `grayHttpMiddleware`: `trustIncoming` default `false`,
   * `trust`, `rules`, `healthPaths`, `echoStage`, and a `policy` or policy options).
   *
   * @throws GrayConfigError at once for bad options (what to fix is in the message); at bootstrap
   *   when the HTTP platform is neither Express nor Fastify.
   */
  static forRoot(options: GrayHttpOptions = {}): DynamicModule {
    return moduleOf({ provide: EDGE, useValue: prepareEdge(options) });
  }

  /**
   * Like {@link GrayModule.forRoot}, with the options from a factory provider (e.g. read from a
   * `ConfigService`). Bad options make the app's bootstrap reject with `GrayConfigError`.
   */
  static forRootAsync(options: GrayModuleAsyncOptions): DynamicModule {
    if (typeof options?.useFactory !== 'function') throw new GrayConfigError('graylane: GrayModule.forRootAsync needs { useFactory, inject?, imports? }.');
    const factory = options.useFactory as (...args: unknown[]) => GrayHttpOptions | Promise<GrayHttpOptions>;
    const optionsProvider: Provider = { provide: OPTIONS, useFactory: factory, inject: [...(options.inject ?? [])] };
    return moduleOf({ provide: EDGE, useFactory: prepareEdge, inject: [OPTIONS] }, { imports: options.imports, extra: [optionsProvider] });
  }
}
