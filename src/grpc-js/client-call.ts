/**
 * The one intercepting call every graylane grpc-js client interceptor is made of: at the start of a
 * call its jobs (merging the context, the observe feeds' metrics, hop trace and rollback guard) run
 * in order in ONE grpc-js layer, and the response callbacks run in the caller's context.
 * `grayClientInterceptor` is it with the context job alone, each observe feed with its own job
 * alone, and `grayGrpcClientStack` with all of them, fused. Internal.
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { InterceptingListener, Interceptor, Metadata, StatusObject } from '@grpc/grpc-js';
import { bindGrayContext, runOutsideGrayContext, type GrayContext } from '../core/context.js';
import { grayScope, runInGrayScope, type GrayScope } from '../core/scope.js';
import { outgoingStage } from '../core/call-stage.js';
import type { GrayPolicy } from '../core/policy.js';
import { grpcMetadataCarrier } from './carrier.js';

/** The method a client call is made to (`path`, `requestStream`, `responseStream`). Internal. */
export type GrayClientMethod = Parameters<Interceptor>[0]['method_definition'];

/** Sees how a call ended. Internal. */
export interface ClientCallWatcher {
  /** The call's status arrived (before the caller's callbacks see it), `ms` after the first watcher was added (one clock read for every watcher). */
  onStatus(status: StatusObject, ms: number): void;
}

/** What a client job sees and changes at the start of one call. Internal. */
export interface ClientCallStart {
  /** The outgoing metadata so far; a job replaces it (never modifies the caller's object). */
  metadata: Metadata;
  /** The method called. */
  readonly method: GrayClientMethod;
  /** Run the response callbacks in `ctx`, or in no context (`null`). Default: as grpc-js delivers them. */
  deliverIn(ctx: GrayContext | null): void;
  /** Tells `watcher` how the call ends. */
  watch(watcher: ClientCallWatcher): void;
  /** The stage the call goes out with under `policy` (its metadata so far, else the caller's context); read once per policy per call. */
  stageFor(policy: GrayPolicy): string;
}

/** One job of a client interceptor: runs at the start of each call, synchronously in the caller's code. Internal. */
export interface ClientJob {
  /** Called once per call, in the order of the jobs. */
  start(call: ClientCallStart): void;
}

function deliverMetadata(next: InterceptingListener, md: Metadata): void { next.onReceiveMetadata(md); }
function deliverMessage(next: InterceptingListener, message: unknown): void { next.onReceiveMessage(message); }
function deliverStatus(next: InterceptingListener, status: StatusObject): void { next.onReceiveStatus(status); }

const NO_OP: InterceptingListener = { onReceiveMetadata() {}, onReceiveMessage() {}, onReceiveStatus() {} };

function isFull(listener: Partial<InterceptingListener> | undefined): listener is InterceptingListener {
  return listener !== undefined && listener.onReceiveMetadata !== undefined && listener.onReceiveMessage !== undefined && listener.onReceiveStatus !== undefined;
}

// How the response callbacks are delivered: as grpc-js does, inside a context, or with none. A call
// made outside any context must see none: grpc-js runs the callbacks in the async context of whatever
// opened the HTTP/2 connection — possibly another request's, whose stage must not leak.
const AS_IS = 0;
const IN_CONTEXT = 1;
const NO_CONTEXT = 2;

/** The per-call state the jobs fill in, and the listener of the call (one-argument methods: grpc-js uses it as-is). */
class GrayClientListener implements ClientCallStart, InterceptingListener {
  private mode = AS_IS;
  private scope: GrayScope | undefined;
  private watchers: ClientCallWatcher[] | undefined;
  private t0 = 0;
  private stagePolicy: GrayPolicy | undefined;
  private stageMetadata: Metadata | undefined;
  private stage = '';
  private readonly next: InterceptingListener;

  constructor(public metadata: Metadata, readonly method: GrayClientMethod, next: Partial<InterceptingListener> | undefined) {
    this.next = isFull(next) ? next : { ...NO_OP, ...next };
  }

  deliverIn(ctx: GrayContext | null): void {
    this.mode = ctx === null ? NO_CONTEXT : IN_CONTEXT;
    // Entered here, in the caller's code: usually `ctx` is current, and its frame is re-used as is.
    this.scope = ctx === null ? undefined : grayScope(ctx);
  }

  watch(watcher: ClientCallWatcher): void {
    if (this.watchers === undefined) {
      this.watchers = [];
      this.t0 = performance.now();
    }
    this.watchers.push(watcher);
  }

  stageFor(policy: GrayPolicy): string {
    // The context job changes the metadata before the feeds run: one read usually serves them all.
    if (this.stagePolicy !== policy || this.stageMetadata !== this.metadata) {
      this.stage = outgoingStage(this.metadata, grpcMetadataCarrier, policy);
      this.stagePolicy = policy;
      this.stageMetadata = this.metadata;
    }
    return this.stage;
  }

  /** The write callbacks of this call run in the writer's context (with a context job). */
  get bindsWrites(): boolean {
    return this.mode !== AS_IS;
  }

  onReceiveMetadata(md: Metadata): void {
    if (this.mode === IN_CONTEXT) runInGrayScope(this.scope!, deliverMetadata, this.next, md);
    else if (this.mode === NO_CONTEXT) runOutsideGrayContext(deliverMetadata, this.next, md);
    else this.next.onReceiveMetadata(md);
  }

  onReceiveMessage(message: unknown): void {
    if (this.mode === IN_CONTEXT) runInGrayScope(this.scope!, deliverMessage, this.next, message);
    else if (this.mode === NO_CONTEXT) runOutsideGrayContext(deliverMessage, this.next, message);
    else this.next.onReceiveMessage(message);
  }

  onReceiveStatus(status: StatusObject): void {
    const watchers = this.watchers;
    // Last job first, as a stack of interceptors would see it.
    if (watchers !== undefined) {
      const ms = performance.now() - this.t0;
      for (let i = watchers.length - 1; i >= 0; i--) watchers[i]!.onStatus(status, ms);
    }
    if (this.mode === IN_CONTEXT) runInGrayScope(this.scope!, deliverStatus, this.next, status);
    else if (this.mode === NO_CONTEXT) runOutsideGrayContext(deliverStatus, this.next, status);
    else this.next.onReceiveStatus(status);
  }
}

/** grpc-js's per-message context (`MessageContext`, not exported by grpc-js under its own name). */
type MessageContext = Parameters<grpc.InterceptingCall['sendMessageWithContext']>[0];

/**
 * The call the interceptor returns: one grpc-js `InterceptingCall` whose `start` runs the jobs. With
 * a context job, write callbacks run in the writer's context: grpc-js buffers a message while the
 * connection is being set up and then calls its callback from the connection's async context —
 * another request's, when that one opened it.
 */
class GrayClientCall extends grpc.InterceptingCall {
  private bindsWrites = false;

  constructor(
    next: grpc.InterceptingCall | ReturnType<grpc.NextCall>,
    private readonly jobs: readonly ClientJob[],
    private readonly method: GrayClientMethod,
  ) {
    super(next);
  }

  override start(metadata: Metadata, listener?: Partial<InterceptingListener>): void {
    const call = new GrayClientListener(metadata, this.method, listener);
    for (const job of this.jobs) job.start(call);
    this.bindsWrites = call.bindsWrites;
    super.start(call.metadata, call);
  }

  override sendMessageWithContext(context: MessageContext, message: unknown): void {
    const callback = context.callback;
    if (!this.bindsWrites || callback === undefined) return super.sendMessageWithContext(context, message);
    super.sendMessageWithContext({ ...context, callback: bindGrayContext(callback) }, message);
  }
}

/** A grpc-js client interceptor doing `jobs`, in order, in one intercepting call per call. Internal. */
export function clientInterceptorOf(jobs: readonly ClientJob[]): Interceptor {
  return (callOptions, nextCall) => new GrayClientCall(nextCall(callOptions), jobs, callOptions.method_definition);
}
