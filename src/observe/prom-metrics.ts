/**
 * prom-client access for the metrics interceptors: loads prom-client only when a metrics factory is
 * called (it is an optional peer), reuses metrics already in the user's registry, and caches label
 * children so the request path does no label hashing.
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import type { Counter, Histogram, Registry } from 'prom-client';
import { GrayConfigError } from '../core/errors.js';

/** The parts of the prom-client module graylane uses (pass your own import as `promClient`). */
export interface PromClientModule {
  /** prom-client's `Counter` class. */
  readonly Counter: typeof Counter;
  /** prom-client's `Histogram` class. */
  readonly Histogram: typeof Histogram;
}

/** Histogram buckets in seconds, as go-grpc-prometheus and prom-client use by default. */
export const DEFAULT_SECONDS_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

let loaded: PromClientModule | undefined;

/** The given module, or prom-client loaded from where graylane is installed. Throws GrayConfigError when missing. */
export function resolvePromClient(given: PromClientModule | undefined): PromClientModule {
  if (given !== undefined) return given;
  if (loaded !== undefined) return loaded;
  try {
    // The CommonJS build needs tsup's `shims: true`, which rewrites import.meta.url from __filename.
    const load = createRequire(import.meta.url);
    return (loaded = load('prom-client') as PromClientModule);
  } catch (cause) {
    throw new GrayConfigError('graylane/observe: metrics need the optional peer prom-client; run `npm install prom-client` or pass `promClient`.', { cause });
  }
}

export function requireRegistry(registry: unknown): Registry {
  const r = registry as Registry | undefined;
  if (typeof r !== 'object' || r === null || typeof r.getSingleMetric !== 'function' || typeof r.registerMetric !== 'function') {
    throw new GrayConfigError('graylane/observe: `registry` must be a prom-client Registry (e.g. `new Registry()` or `register`).');
  }
  return r;
}

function existing(registry: Registry, name: string, labelNames: readonly string[], kind: string, method: string): unknown {
  const found = registry.getSingleMetric(name) as unknown as Record<string, unknown> | undefined;
  if (found === undefined) return undefined;
  const names = found['labelNames'] as readonly string[] | undefined;
  const same = Array.isArray(names) && names.length === labelNames.length && labelNames.every((n) => names.includes(n));
  if (typeof found[method] !== 'function' || !same) {
    throw new GrayConfigError(`graylane/observe: the registry already holds a metric '${name}' that is not a ${kind} with labels [${labelNames.join(', ')}]; use another registry or remove it.`);
  }
  return found;
}

/** The registry's counter `name`, or a new one registered there. */
export function ensureCounter(prom: PromClientModule, registry: Registry, name: string, help: string, labelNames: readonly string[]): Counter<string> {
  return (existing(registry, name, labelNames, 'counter', 'inc') as Counter<string> | undefined) ??
    new prom.Counter({ name, help, labelNames: [...labelNames], registers: [registry] });
}

/** The registry's histogram `name`, or a new one registered there. */
export function ensureHistogram(prom: PromClientModule, registry: Registry, name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram<string> {
  return (existing(registry, name, labelNames, 'histogram', 'observe') as Histogram<string> | undefined) ??
    new prom.Histogram({ name, help, labelNames: [...labelNames], buckets: [...buckets], registers: [registry] });
}

/** Validates histogram buckets: a non-empty, strictly increasing list of positive numbers. */
export function requireBuckets(buckets: readonly number[] | undefined): readonly number[] {
  if (buckets === undefined) return DEFAULT_SECONDS_BUCKETS;
  const ok = Array.isArray(buckets) && buckets.length > 0 &&
    buckets.every((b, i) => typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > buckets[i - 1]!));
  if (!ok) throw new GrayConfigError('graylane/observe: buckets must be a non-empty, strictly increasing list of positive seconds.');
  return buckets;
}

/**
 * Label children cached by a joined key: the label set is bounded by construction (known methods,
 * allowed stages, gRPC codes), so the cache is too.
 */
export class ChildCache<C> {
  private readonly children = new Map<string, C>();
  constructor(private readonly make: (values: string[]) => C) {}

  get(values: string[]): C {
    const key = values.join('\u0000');
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.make(values);
      this.children.set(key, child);
    }
    return child;
  }
}
