// Sends the demo's traffic to the gateway and checks every hop of every reply.
import { QA_TOKEN } from './gateway.js';

export const CLASSES = ['qa-canary', 'users', 'untagged', 'spoofed'] as const;
export type RequestClass = (typeof CLASSES)[number];
/** Services that run a canary instance: there, a call must land on an instance of its own stage. */
export const CANARY_SERVICES = new Set(['inventory', 'pricing']);

export interface ServedBy { service: string; instance: string; instanceStage: string; requestStage: string }
export interface OrderReply { stage: string; servedBy?: ServedBy[]; error?: string; trace?: unknown }

/** Headers of each class: a QA tester with the token, a user colored by rules, nobody, and a client faking the tag. */
export function headersFor(cls: RequestClass, i: number): Record<string, string> {
  switch (cls) {
    case 'qa-canary': return { 'x-gray-token': QA_TOKEN, 'x-release-stage': 'canary' };
    case 'users': return { 'x-user-id': `user-${i}` };
    case 'untagged': return {};
    case 'spoofed': return { 'x-release-stage': 'canary' };
  }
}

export async function order(url: string, headers: Record<string, string>): Promise<{ status: number; body: OrderReply }> {
  const res = await fetch(`${url}/orders?sku=book`, { method: 'POST', headers, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as OrderReply };
}

export interface Tally {
  requests: number;
  failed: number;
  hopsChecked: number;
  tagsLost: number;
  misrouted: number;
  fallbacks: number;
  usersOnCanary: number;
  users: number;
  /** A user id the rollout rule colored canary (for the drill). */
  canaryUser?: string;
  /** `${service}|${class}|${instanceStage}` → count */
  cells: Map<string, number>;
}

export const newTally = (): Tally => ({ requests: 0, failed: 0, hopsChecked: 0, tagsLost: 0, misrouted: 0, fallbacks: 0, usersOnCanary: 0, users: 0, cells: new Map() });

/** Checks one reply: each hop saw the gateway's stage; services with a canary served it from the right pool. */
export function check(tally: Tally, cls: RequestClass, reply: { status: number; body: OrderReply }, userId?: string): void {
  tally.requests++;
  if (reply.status !== 200 || !reply.body.servedBy) {
    tally.failed++;
    return;
  }
  const expected = cls === 'qa-canary' ? 'canary' : cls === 'users' ? reply.body.stage : 'stable';
  if (reply.body.stage !== expected) tally.tagsLost++;
  if (cls === 'users') {
    tally.users++;
    if (expected === 'canary') {
      tally.usersOnCanary++;
      tally.canaryUser ??= userId;
    }
  }
  for (const hop of reply.body.servedBy) {
    tally.hopsChecked++;
    if (hop.requestStage !== expected) tally.tagsLost++;
    if (CANARY_SERVICES.has(hop.service)) {
      if (hop.instanceStage !== expected) tally.misrouted++;
    } else if (hop.instanceStage !== expected) {
      tally.fallbacks++; // no canary instance of this service: permissive fallback to stable
    }
    const key = `${hop.service}|${cls}|${hop.instanceStage}`;
    tally.cells.set(key, (tally.cells.get(key) ?? 0) + 1);
  }
}
