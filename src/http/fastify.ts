/**
 * Fastify 5 plugin: establishes the gray context in an `onRequest` hook and re-enters it in
 * `preValidation`, so route handlers (with or without a request body) and async hooks see it.
 * @packageDocumentation
 */
import type { IncomingMessage } from 'node:http';
import { grayStorage, type GrayContext } from '../core/context.js';
import { createHttpEdge, type GrayHttpOptions, type HttpEdge } from './edge.js';

/** The request fields the plugin reads (a Fastify `FastifyRequest` fits). */
export interface FastifyRequestLike {
  /** The Node request underneath (Fastify's `request.raw`). */
  readonly raw: IncomingMessage;
}
/** The reply methods the plugin uses (a Fastify `FastifyReply` fits). */
export interface FastifyReplyLike {
  /** Whether the reply already has header `name` (the echo never overwrites one). */
  hasHeader(name: string): boolean;
  /** Sets a response header (used for `echoStage`). */
  header(name: string, value: string): unknown;
}
/**
 * The part of a Fastify instance the plugin uses. Typed structurally so that `graylane/http`'s
 * types do not need `fastify` installed; a Fastify 5 instance fits.
 */
export interface FastifyHookHost {
  /** Registers a request hook; the plugin adds an `onRequest` and a `preValidation` hook. */
  addHook(name: 'onRequest' | 'preValidation', hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: (err?: Error) => void) => void): unknown;
}
/** The plugin's type: a Fastify callback plugin taking {@link GrayHttpOptions}. */
export type GrayFastifyPlugin = (instance: FastifyHookHost, options: GrayHttpOptions, done: (err?: Error) => void) => void;

/**
 * The graylane Fastify plugin: `await app.register(grayFastifyPlugin, options)`. Options are
 * those of `grayHttpMiddleware` (`trustIncoming` default `false`, `trust`, `rules`, `healthPaths`,
 * `echoStage`, policy options); bad options make `register` / `ready` reject with `GrayConfigError`.
 *
 * It escapes Fastify's encapsulation (as `fastify-plugin` does, via `Symbol.for('skip-override')`),
 * so its hooks apply to every route of the instance it is registered on, including routes
 * registered in sibling plugins.
 *
 * How the context reaches the handler: `onRequest` runs `done` inside `AsyncLocalStorage.run`, so
 * the following `onRequest` and `preParsing` hooks run in it. Fastify keeps the async context across
 * its own body parsing, but a hook that resumes from a foreign context (a pooled rate limiter, a
 * queue) would drop it, so `preValidation` runs `done` inside the same context again; `preHandler`
 * hooks and the handler follow from there (the pattern of `@fastify/request-context`). The context
 * is kept per request in a `WeakMap`; no `enterWith` is used.
 */
export const grayFastifyPlugin: GrayFastifyPlugin = (fastify, options, done) => {
  let edge: HttpEdge;
  try {
    edge = createHttpEdge(options);
  } catch (err) {
    done(err as Error);
    return;
  }
  const storage = grayStorage();
  const contexts = new WeakMap<FastifyRequestLike, GrayContext>();

  fastify.addHook('onRequest', (request, reply, next) => {
    const ctx = edge.resolve(request.raw);
    if (ctx === undefined) return next();
    contexts.set(request, ctx);
    if (edge.echoHeader !== undefined && !reply.hasHeader(edge.echoHeader)) reply.header(edge.echoHeader, ctx.stage);
    storage.run(ctx, next);
  });

  fastify.addHook('preValidation', (request, _reply, next) => {
    const ctx = contexts.get(request);
    if (ctx === undefined) return next();
    storage.run(ctx, next);
  });
  done();
};

// What fastify-plugin sets: skip the encapsulating child context, and a readable name in errors.
(grayFastifyPlugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(grayFastifyPlugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'graylane';
