/**
 * The server side of the hop trace, written once for every adapter: checked hop names, the trace
 * `accept` hook, and the per-request collector — keyed by the traced request's own gray context
 * object (a traced call always runs in a context object of its own, so the key is unique and dies
 * with the request).
 * @packageDocumentation
 */
import { hostname } from 'node:os';
import type { GrayContext } from '../core/context.js';
import { GrayConfigError } from '../core/errors.js';
import { makeContext } from '../core/policy.js';
import { encodeHops, HOP_TRACE_KEY, isHopName, MAX_HOPS, parseHops, type GrayHop } from './hop-trace.js';

/** Collects the hops that downstream calls of one traced request report. */
export class HopCollector {
  private readonly hops: GrayHop[] = [];
  private incomplete = false;

  constructor(private readonly own: GrayHop) {}

  /** Adds the `x-gray-hops` value of a finished downstream call (nested one level deeper). */
  addDownstream(value: unknown): void {
    const trace = parseHops(value);
    if (trace.status !== 'ok') {
      this.incomplete = true;
      return;
    }
    if (trace.incomplete) this.incomplete = true;
    for (const hop of trace.hops) {
      // The trailer carries at most MAX_HOPS hops; a request making many downstream calls must not
      // grow this collector past what can ever be sent (the trace is marked incomplete instead).
      if (this.hops.length >= MAX_HOPS - 1) {
        this.incomplete = true;
        return;
      }
      this.hops.push({ ...hop, depth: hop.depth + 1 });
    }
  }

  /** The trailer value: this hop, then every downstream hop in completion order. */
  encode(): string {
    return encodeHops([this.own, ...this.hops], this.incomplete);
  }
}

const collectors = new WeakMap<GrayContext, HopCollector>();

/** The collector of `ctx`, when `ctx` belongs to a traced request. */
export function getHopCollector(ctx: GrayContext | undefined): HopCollector | undefined {
  return ctx === undefined ? undefined : collectors.get(ctx);
}

/** The checked `service` and `instance` (default `<hostname>:<pid>`, other characters `_`) of a hop-trace server feed. */
export interface HopNames {
  /** Service name reported in the hop. */
  readonly service: string;
  /** Instance name reported in the hop. */
  readonly instance: string;
}

/**
 * Checks the names a hop-trace server feed reports.
 * @throws GrayConfigError for a missing or invalid `service` / `instance`.
 */
export function hopNames(options: { readonly service?: unknown; readonly instance?: unknown } | undefined): HopNames {
  const service = options?.service;
  const instance = options?.instance ?? `${hostname()}:${process.pid}`.replace(/[^A-Za-z0-9._:@/-]/g, '_').slice(0, 128);
  for (const [name, value] of [['service', service], ['instance', instance]] as const) {
    if (typeof value !== 'string' || !isHopName(value)) {
      throw new GrayConfigError(`graylane/observe: the hop trace ${name} must be 1–128 characters of [A-Za-z0-9._:@/-], got ${JSON.stringify(value)}.`);
    }
  }
  return { service: service as string, instance: instance as string };
}

/**
 * The `accept` hook of a hop-trace server feed, made safe for the request path: `undefined` honours
 * every trace request; a throw counts as `false`.
 * @throws GrayConfigError when `accept` is neither a function nor `undefined`.
 */
export function traceAcceptor<M>(accept: ((metadata: M) => boolean) | undefined): (metadata: M) => boolean {
  if (accept === undefined) return () => true;
  if (typeof accept !== 'function') throw new GrayConfigError('graylane/observe: hop trace `accept` must be a function.');
  return (metadata) => {
    try {
      return accept(metadata) === true;
    } catch {
      return false;
    }
  };
}

/**
 * Starts the trace of one request that asked for it: a context object of the request's own (`base`
 * plus `x-gray-trace: 1`, so client feeds forward the flag) keying a new collector of this hop.
 */
export function startHopTrace(base: GrayContext, names: HopNames): { readonly ctx: GrayContext; readonly collector: HopCollector } {
  const ctx = makeContext(base.stage, base.explicit, { ...base.entries, [HOP_TRACE_KEY]: '1' });
  const collector = new HopCollector({ depth: 0, service: names.service, instance: names.instance, stage: base.stage, explicit: base.explicit });
  collectors.set(ctx, collector);
  return { ctx, collector };
}
