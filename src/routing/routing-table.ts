/**
 * Process-wide table of active routing registrations, shared by every copy of graylane through a
 * `Symbol.for` slot (the LB policy registered by one copy must find registrations made by another).
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import type { GrayPolicy } from '../core/policy.js';
import type { SubsetConfig } from './subset.js';
import type { GrayRegistry } from './types.js';

/** One `registerGrayRouting` registration. */
export interface RoutingEntry {
  readonly id: number;
  readonly scheme: string;
  /** The registry; `undefined` once the registration is closed (the table must not keep it alive). */
  registry: GrayRegistry | undefined;
  readonly policy: GrayPolicy;
  readonly reresolveIntervalMs: number;
  /** Bounded connections, when the registration asked for them. */
  readonly subset: SubsetConfig | undefined;
  closed: boolean;
  /** Stops of the registry listeners taken by resolvers of this registration; all called on close. */
  readonly subscriptions: Set<() => void>;
}

/** Per grpc-js module: which schemes it routes, and whether the LB policy is installed. */
export interface ModuleEntry {
  readonly schemes: Map<string, RoutingEntry>;
  balancerInstalled: boolean;
}

interface Table {
  nextId: number;
  readonly byId: Map<number, RoutingEntry>;
  readonly byModule: WeakMap<object, ModuleEntry>;
  /** Default client id of subsetting: random, one per process (shared by every copy of graylane). */
  clientId?: string;
}

const SLOT = Symbol.for('graylane.routing-table.v1');

/** The shared table (created on first use). */
export function routingTable(): Table {
  const g = globalThis as { [SLOT]?: Table };
  return (g[SLOT] ??= { nextId: 1, byId: new Map(), byModule: new WeakMap() });
}

/** This process's default client id for subsetting (a random UUID, created on first use). */
export function processClientId(): string {
  const table = routingTable();
  return (table.clientId ??= randomUUID());
}

/** The module entry of a grpc-js module, created on first use. */
export function moduleEntry(mod: object): ModuleEntry {
  const table = routingTable();
  let entry = table.byModule.get(mod);
  if (entry === undefined) table.byModule.set(mod, (entry = { schemes: new Map(), balancerInstalled: false }));
  return entry;
}
