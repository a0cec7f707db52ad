/**
 * Option helpers that add graylane's grpc-js interceptors to a Nest gRPC microservice's options
 * and to a `ClientsModule` entry, keeping every interceptor the options already hold.
 * @packageDocumentation
 */
import type { Interceptor, ServerInterceptor } from '@grpc/grpc-js';
import type { GrpcOptions } from '@nestjs/microservices';
import { GrayConfigError } from '../core/errors.js';
import {
  grayClientInterceptor,
  grayServerInterceptor,
  type GrayClientInterceptorOptions,
  type GrayServerInterceptorOptions,
} from '../grpc-js/index.js';

/**
 * What the helpers accept: Nest's `GrpcOptions` (`{ transport: Transport.GRPC, options }`, as passed
 * to `createMicroservice` / `connectMicroservice`) or a `ClientsModule` entry (the same plus `name`).
 */
export type GrayNestGrpcOptions = GrpcOptions;

// Interceptors this module created: adding graylane twice to the same options is a no-op.
let ours: WeakSet<object> | undefined;
function mark<T extends object>(interceptor: T): T {
  (ours ??= new WeakSet()).add(interceptor);
  return interceptor;
}
function isOurs(value: unknown): boolean {
  return typeof value === 'object' || typeof value === 'function' ? ours?.has(value as object) === true : false;
}

/** The `channelOptions.interceptors` already present, checked: an array (or nothing). */
function existingInterceptors(where: string, options: GrpcOptions): readonly unknown[] {
  if (typeof options !== 'object' || options === null || typeof options.options !== 'object' || options.options === null) {
    throw new GrayConfigError(`graylane: ${where} expects Nest gRPC options, { transport: Transport.GRPC, options: { package, protoPath, url } }.`);
  }
  const current: unknown = options.options.channelOptions?.['interceptors'];
  if (current === undefined) return [];
  if (!Array.isArray(current)) throw new GrayConfigError(`graylane: ${where}: options.channelOptions.interceptors must be an array of grpc-js interceptors.`);
  return current;
}

/** A copy of `options` whose `channelOptions.interceptors` is `interceptors`; nothing the caller passed is modified. */
function withInterceptors<T extends GrpcOptions>(options: T, interceptors: readonly unknown[]): T {
  return { ...options, options: { ...options.options, channelOptions: { ...options.options.channelOptions, interceptors: [...interceptors] } } };
}

/**
 * Adds `grayServerInterceptor(grayOptions)` to a Nest gRPC microservice's options, in front of the
 * interceptors `options.channelOptions.interceptors` already lists (which are kept, in order, and
 * then see the gray context too). Nest passes `channelOptions` to `new grpc.Server(...)`, so every
 * handler — guards, interceptors, pipes, filters, Observable and async handlers, all four call
 * types — runs inside the call's gray context. Returns a new object; `options` is not modified.
 * Applying it twice adds graylane once.
 *
 * @param grayOptions - the interceptor's options (policy, `echoStage`, `resolve`); default: the default policy.
 * @throws GrayConfigError when `options` is not a gRPC options object, its `channelOptions.interceptors`
 *   is not an array, or `grayOptions` are invalid.
 * @example
 * const app = await NestFactory.createMicroservice(AppModule, withGrayGrpcServer({
 *   transport: Transport.GRPC,
 *   options: { package: 'graylane.hop.v1', protoPath, url: '0.0.0.0:50051' },
 * }));
 */
export function withGrayGrpcServer<T extends GrayNestGrpcOptions>(options: T, grayOptions: GrayServerInterceptorOptions = {}): T {
  const current = existingInterceptors('withGrayGrpcServer', options);
  if (current.some(isOurs)) return withInterceptors(options, current);
  const interceptor: ServerInterceptor = mark(grayServerInterceptor(grayOptions));
  return withInterceptors(options, [interceptor, ...current]);
}

/**
 * Adds `grayClientInterceptor(grayOptions)` to a `ClientsModule` entry (or `ClientProxyFactory`
 * options) for the gRPC transport, in front of the interceptors its `channelOptions.interceptors`
 * already lists (kept, in order). Nest passes `channelOptions` to the generated client's
 * constructor, so every call through the client carries the gray context current where the call's
 * Observable is subscribed (see `withGrayContext` for pipelines subscribed outside a request).
 * Returns a new object; `options` is not modified. Applying it twice adds graylane once.
 *
 * @param grayOptions - the interceptor's options (`overwrite`, default `false`: keys the caller set win).
 * @throws GrayConfigError when `options` is not a gRPC options object or its `channelOptions.interceptors`
 *   is not an array.
 * @example
 * ClientsModule.register([withGrayGrpcClient({
 *   name: 'HOP', transport: Transport.GRPC,
 *   options: { package: 'graylane.hop.v1', protoPath, url: 'b:50051' },
 * })]);
 */
export function withGrayGrpcClient<T extends GrayNestGrpcOptions>(options: T, grayOptions: GrayClientInterceptorOptions = {}): T {
  const current = existingInterceptors('withGrayGrpcClient', options);
  if (current.some(isOurs)) return withInterceptors(options, current);
  const interceptor: Interceptor = mark(grayClientInterceptor(grayOptions));
  return withInterceptors(options, [interceptor, ...current]);
}
