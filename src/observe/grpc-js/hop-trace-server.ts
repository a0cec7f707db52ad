/**
 * grpc-js server interceptor of the hop trace: reports this server's hop (and its downstream
 * calls') in the `x-gray-hops` trailer of traced calls.
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import type { Metadata, ServerInterceptingCall, ServerInterceptingCallInterface, ServerInterceptor } from '@grpc/grpc-js';
import { decidedContext } from '../../core/call-stage.js';
import { grayStorage, type GrayContext } from '../../core/context.js';
import { defaultGrayPolicy, type GrayPolicy } from '../../core/policy.js';
import { hopNames, startHopTrace, traceAcceptor, type HopNames } from '../hop-collector.js';
import { HOP_TRACE_KEY, HOPS_TRAILER_KEY } from '../hop-trace.js';

/** Options of {@link grayHopTraceServerInterceptor}. */
export interface GrayHopTraceServerOptions {
  /** Service name reported in this server's hop. Required; `[A-Za-z0-9._:@/-]`, 1–128 characters. */
  readonly service: string;
  /** Instance name reported in this server's hop. Default `<hostname>:<pid>` (other characters become `_`). */
  readonly instance?: string;
  /** Policy naming the default stage, reported when no gray context is current (metadata is never read). Default: the default policy. */
  readonly policy?: GrayPolicy;
  /**
   * Decides whether a call's trace request is honoured (called only for calls carrying
   * `x-gray-trace: 1`; a throw counts as `false`). Set it on servers facing untrusted clients — a
   * trace reveals service and instance names — e.g. `(md) => md.get('x-debug-token')[0] === token`.
   * Default: every trace request is honoured.
   */
  readonly accept?: (metadata: Metadata) => boolean;
}

type AnyListener = Parameters<ServerInterceptingCallInterface['start']>[0];
type Call = ServerInterceptingCallInterface;

function forwardMetadata(next: AnyListener, md: Metadata): void { next.onReceiveMetadata(md); }
function forwardMessage(next: AnyListener, message: unknown): void { next.onReceiveMessage(message); }
function forwardHalfClose(next: AnyListener): void { next.onReceiveHalfClose(); }
function forwardCancel(next: AnyListener): void { next.onCancel(); }

interface HopServerState {
  readonly names: HopNames;
  readonly policy: GrayPolicy;
  readonly accepts: (md: Metadata) => boolean;
}

/** Untraced calls pass straight through after one metadata lookup; traced calls run in their own context. */
class HopServerListener {
  private ctx: GrayContext | undefined;

  constructor(
    private readonly next: AnyListener,
    private readonly call: Call,
    private readonly state: HopServerState,
  ) {}

  onReceiveMetadata(md: Metadata): void {
    const flag = md.get(HOP_TRACE_KEY)[0];
    if (flag !== '1' || !this.state.accepts(md)) return this.next.onReceiveMetadata(md);
    const { ctx, collector } = startHopTrace(decidedContext(this.state.policy), this.state.names);
    this.ctx = ctx;
    // Wrap whatever sendStatus is installed now: every interceptor has patched it by this point.
    const call = this.call;
    const sendStatus = call.sendStatus;
    call.sendStatus = (status) => {
      const trailers = status.metadata?.clone() ?? new grpc.Metadata();
      trailers.set(HOPS_TRAILER_KEY, collector.encode());
      sendStatus.call(call, { ...status, metadata: trailers });
    };
    grayStorage().run(ctx, forwardMetadata, this.next, md);
  }

  onReceiveMessage(message: unknown): void {
    if (this.ctx === undefined) return this.next.onReceiveMessage(message);
    grayStorage().run(this.ctx, forwardMessage, this.next, message);
  }

  onReceiveHalfClose(): void {
    if (this.ctx === undefined) return this.next.onReceiveHalfClose();
    grayStorage().run(this.ctx, forwardHalfClose, this.next);
  }

  onCancel(): void {
    if (this.ctx === undefined) return this.next.onCancel();
    grayStorage().run(this.ctx, forwardCancel, this.next);
  }
}

/**
 * Creates a grpc-js server interceptor that, for calls carrying `x-gray-trace: 1`, adds this
 * server's hop — service, instance, resolved stage, explicit — and the hops of the downstream calls
 * it made in that request to the `x-gray-hops` response trailer. List it **after**
 * `grayServerInterceptor()`: listed before it, the hop reports the default stage (the caller's
 * metadata is never read). A traced call's context carries `x-gray-trace: 1`, so
 * `grayClientInterceptor` forwards the flag; give downstream clients
 * `grayHopTraceClientInterceptor` too so their trailers are collected.
 * Untraced calls cost one metadata lookup.
 *
 * @throws GrayConfigError for a missing or invalid `service` / `instance`, or a non-function `accept`.
 */
export function grayHopTraceServerInterceptor(options: GrayHopTraceServerOptions): ServerInterceptor {
  const state: HopServerState = {
    names: hopNames(options),
    policy: options.policy ?? defaultGrayPolicy(),
    accepts: traceAcceptor(options.accept),
  };
  return (_descriptor, call) => {
    const start = call.start;
    call.start = (next) => start.call(call, new HopServerListener(next, call, state));
    return call as ServerInterceptingCall;
  };
}
