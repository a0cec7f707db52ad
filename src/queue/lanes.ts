/**
 * Lanes of one queue: the options every queue adapter takes (`lanes: { registry, ... }`), validated
 * once, and a live view of the queue's service in the registry (the stages seen, the lanes to drain,
 * whether a stage's consumer is open), plus announcing a consumer as an instance of the service.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { GrayConfigError } from '../core/errors.js';
import type { GrayPolicy } from '../core/policy.js';
import type { GrayRegistry, GrayServiceSnapshot } from '../routing/types.js';
import { parseAddress, requireRegistryStage, requireService } from '../routing/validate.js';
import { drainedLanes, laneOpen, publishLane } from './lane-rules.js';

/** The `lanes` option of a queue publisher or consumer: route messages by stage, per the registry. */
export interface GrayLaneOptions {
  /** The registry the lanes are read from (the same one gRPC routing reads: file, etcd or static). Required. */
  readonly registry: GrayRegistry;
  /**
   * The service name of the queue in the registry (its consumers are instances of it, its rules are
   * its fallback and disabled stages). Default: the queue's name (it must then be a valid service name).
   */
  readonly service?: string;
  /**
   * Non-default stages whose lanes the default consumers always watch, besides every stage the
   * registry shows for the service while they run. List the stages you release with, so a lane
   * whose last consumer died before this process started is drained too. Default: the policy's
   * allowlist (`stages`), else none.
   */
  readonly stages?: readonly string[];
}

/** What a consumer announces: its stage and an address-shaped identifier. */
export interface LaneAnnouncement {
  /** Removes the consumer from the registry. Idempotent. */
  close(): Promise<void>;
}

type Registering = GrayRegistry & {
  register?: (instance: { service: string; address: string; stage: string; meta?: Record<string, string> }, options?: { id?: string }) => Promise<{ close(): Promise<void> }>;
};

/** Validates a `lanes` option (throws `GrayConfigError` with what to fix). Internal. */
export function requireLaneOptions<L extends GrayLaneOptions>(lanes: L | undefined, where: string): L | undefined {
  if (lanes === undefined) return undefined;
  const registry = lanes?.registry;
  if (typeof registry?.getService !== 'function' || typeof registry.watchService !== 'function') {
    throw new GrayConfigError(`graylane: ${where}: lanes.registry is required (createFileRegistry, createEtcdRegistry or createStaticRegistry from graylane/routing).`);
  }
  if (lanes.service !== undefined) requireService(lanes.service, `${where}: lanes.service`);
  if (lanes.stages !== undefined) {
    if (!Array.isArray(lanes.stages)) throw new GrayConfigError(`graylane: ${where}: lanes.stages must be an array of stages, e.g. ['canary'].`);
    lanes.stages.forEach((s, i) => requireRegistryStage(s, `${where}: lanes.stages[${i}]`));
  }
  return lanes;
}

/** The live lane view of one queue. Internal: adapters build one per consumed or published queue. */
export class QueueLanes {
  /** The queue's service name in the registry. */
  readonly service: string;
  private readonly known = new Set<string>();

  constructor(
    readonly options: GrayLaneOptions,
    readonly policy: GrayPolicy,
    queue: string,
    where: string,
  ) {
    this.service = requireService(options.service ?? queue, `${where}: the queue name is not a valid service name, pass lanes.service`);
    for (const s of options.stages ?? policy.stages ?? []) this.known.add(s);
  }

  /** The registry's current view of the service (memory, no I/O). */
  snapshot(): GrayServiceSnapshot {
    const snap = this.options.registry.getService(this.service);
    this.learn(snap);
    return snap;
  }

  /** The lane (a stage; the default stage is the main queue) for a message of `stage`. */
  laneFor(stage: string): string {
    return publishLane(this.snapshot(), this.policy, stage);
  }

  /** The lanes the default consumers drain now. */
  drained(): string[] {
    return drainedLanes(this.snapshot(), this.policy, this.known);
  }

  /** `true` while a consumer of `stage` takes its lane. */
  open(stage: string): boolean {
    return laneOpen(this.snapshot(), this.policy, stage);
  }

  /** Calls `listener` after each change of the service in the registry. Returns the stop function. */
  watch(listener: () => void): () => void {
    return this.options.registry.watchService(this.service, (snap) => {
      this.learn(snap);
      listener();
    });
  }

  /**
   * Announces a consumer of `stage` as an instance of the service, when the registry can register
   * (etcd: under a lease, so a dead consumer disappears after the lease TTL). Registries that cannot
   * (file, static) list consumers by hand: then `undefined`.
   */
  async announce(stage: string, address: string | undefined): Promise<LaneAnnouncement | undefined> {
    const registry = this.options.registry as Registering;
    if (typeof registry.register !== 'function') return undefined;
    const id = address ?? `queue-${process.pid}-${randomBytes(4).toString('hex')}.consumer:1`;
    if (parseAddress(id) === undefined) throw new GrayConfigError(`graylane: lanes address ${JSON.stringify(id)} must look like 'host:port' (it only identifies the consumer).`);
    return registry.register({ service: this.service, address: id, stage, meta: { kind: 'queue-consumer' } });
  }

  private learn(snap: GrayServiceSnapshot): void {
    const known = this.known;
    if (known.size > 256) return; // bounded: registry content is shared, keep the per-process set small
    for (const inst of snap.instances) known.add(inst.stage);
    for (const s of snap.rules.disabledStages) known.add(s);
    for (const s of snap.rules.strictStages) known.add(s);
  }
}
