/**
 * Per-request hop collectors, keyed by the traced request's own gray context object (a traced call
 * always runs in a context object of its own, so the key is unique and dies with the request).
 * @packageDocumentation
 */
import type { GrayContext } from '../core/context.js';
import { encodeHops, parseHops, type GrayHop } from './hop-trace.js';

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
    for (const hop of trace.hops) this.hops.push({ ...hop, depth: hop.depth + 1 });
  }

  /** The trailer value: this hop, then every downstream hop in completion order. */
  encode(): string {
    return encodeHops([this.own, ...this.hops], this.incomplete);
  }
}

const collectors = new WeakMap<GrayContext, HopCollector>();

/** Registers the collector of a traced request's context. */
export function setHopCollector(ctx: GrayContext, collector: HopCollector): void {
  collectors.set(ctx, collector);
}

/** The collector of `ctx`, when `ctx` belongs to a traced request. */
export function getHopCollector(ctx: GrayContext | undefined): HopCollector | undefined {
  return ctx === undefined ? undefined : collectors.get(ctx);
}
