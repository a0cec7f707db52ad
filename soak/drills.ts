/**
 * Fault drills under bounded open-loop load (default 200 calls/s), each reporting failed calls,
 * time to fallback and time to recovery:
 *   canary   — a canary instance is killed under load (static registry, permissive fallback),
 *              then restarted and re-added;
 *   etcd     — etcd is stopped and restarted under load (etcd registry); a new instance is
 *              registered after the restart;
 *   file     — the registry file is corrupted under load, then fixed (file registry).
 *
 *   npx tsx soak/drills.ts [--only canary|etcd|file] [--rate 200] [--json]
 */
import type * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEtcdRegistry,
  createFileRegistry,
  createStaticRegistry,
  registerGrayRouting,
  type GrayInstance,
  type GrayRegistryStatus,
} from 'graylane/routing';
import { etcdAvailable, startEtcd, type EtcdServer } from '../test/helpers/etcd.js';
import type { HopClient } from '../test/helpers/grpc.js';
import { callUnary, routedClient, startHop, type HopInstance } from '../test/routing/hop-fleet.js';
import { exitWith, flag, intArg, onSigint, sleep } from './common.js';

const argv = process.argv.slice(2);
const json = flag(argv, '--json');
const rate = intArg(argv, '--rate', 200);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const CALL_DEADLINE_MS = 2000;
const MAX_IN_FLIGHT = 400;

let interrupted = false;
const log = (msg: string): void => {
  if (!json) process.stderr.write(`  ${msg}\n`);
};
const now = (): number => performance.now();
const round = (ms: number | undefined): number | null => (ms === undefined || !Number.isFinite(ms) ? null : Math.round(ms));

interface CallResult { start: number; end: number; stage: string; instance?: string; code?: number; details?: string }

/**
 * Open-loop load: `rate` calls per second (stages cycling through `stages`), for at most
 * `maxMs`, at most MAX_IN_FLIGHT at a time; `stop()` ends it early. Resolves with every result.
 */
function startLoad(client: HopClient, stages: readonly (string | undefined)[], maxMs: number): { stop(): void; done: Promise<CallResult[]> } {
  const results: CallResult[] = [];
  const started = now();
  let issued = 0;
  let inFlight = 0;
  let stopped = false;
  const pending = new Set<Promise<void>>();
  const issue = (): void => {
    const i = issued++;
    const stage = stages[i % stages.length];
    const start = now();
    inFlight++;
    const p = callUnary(client, `d-${i}`, stage, CALL_DEADLINE_MS).then(
      (reply) => void results.push({ start, end: now(), stage: stage ?? '(none)', instance: reply.hops[0]!.instance }),
      (e: grpc.ServiceError) => void results.push({ start, end: now(), stage: stage ?? '(none)', code: e.code, details: e.details }),
    ).finally(() => {
      inFlight--;
      pending.delete(p);
    });
    pending.add(p);
  };
  const done = (async () => {
    while (!stopped && !interrupted && now() - started < maxMs) {
      const due = Math.floor(((now() - started) / 1000) * rate);
      while (issued < due && inFlight < MAX_IN_FLIGHT) issue();
      await sleep(2);
    }
    await Promise.all(pending);
    return results.sort((a, b) => a.start - b.start);
  })();
  return { stop: () => void (stopped = true), done };
}

/** Polls `check` every 5 ms until it is true or `timeoutMs` passes; resolves with the time it became true (or undefined). */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
  const deadline = now() + timeoutMs;
  while (now() < deadline && !interrupted) {
    if (await check()) return now();
    await sleep(5);
  }
  return undefined;
}

/** Calls started in `[from, to)`: how many, how many failed, how many canary calls missed `canaryInstance`. */
function during(results: readonly CallResult[], from: number, to: number, canaryInstance: string): { calls: number; failed: number; canaryOff: number } {
  const inWindow = results.filter((r) => r.start >= from && r.start < to);
  return {
    calls: inWindow.length,
    failed: inWindow.filter((r) => r.code !== undefined).length,
    canaryOff: inWindow.filter((r) => r.stage === 'canary' && r.instance !== canaryInstance).length,
  };
}

function summarize(results: readonly CallResult[]): { calls: number; failed: number; byInstance: Record<string, number>; failures: Record<string, number> } {
  const byInstance: Record<string, number> = {};
  const failures: Record<string, number> = {};
  for (const r of results) {
    if (r.instance !== undefined) byInstance[`${r.stage}->${r.instance}`] = (byInstance[`${r.stage}->${r.instance}`] ?? 0) + 1;
    else failures[`${r.stage}: code ${r.code} ${r.details ?? ''}`.trim()] = (failures[`${r.stage}: code ${r.code} ${r.details ?? ''}`.trim()] ?? 0) + 1;
  }
  return { calls: results.length, failed: results.filter((r) => r.code !== undefined).length, byInstance, failures };
}

/** First time after `from` at which a call tagged `stage` ended on `instance` (ms after `from`). */
function firstLanding(results: readonly CallResult[], stage: string, instance: string, from: number): number | undefined {
  let best: number | undefined;
  for (const r of results) if (r.stage === stage && r.instance === instance && r.start >= from) best = Math.min(best ?? Infinity, r.end - from);
  return best;
}

/** Last time after `from` at which a call tagged `stage` ended anywhere but on `instance` (ms after `from`). */
function lastElsewhere(results: readonly CallResult[], stage: string, instance: string, from: number): number | undefined {
  let worst: number | undefined;
  for (const r of results) if (r.stage === stage && r.end >= from && r.instance !== instance) worst = Math.max(worst ?? 0, r.end - from);
  return worst;
}

// ---------------------------------------------------------------- drill a: canary killed

async function canaryDrill(): Promise<Record<string, unknown>> {
  const fleet: HopInstance[] = [];
  const clients: HopClient[] = [];
  const routing: Array<{ close(): void }> = [];
  try {
    const stable = await startHop('drill.Canary', 'stable-1', 'stable');
    const canary = await startHop('drill.Canary', 'canary-1', 'canary');
    fleet.push(stable, canary);
    const entry = (h: HopInstance): GrayInstance => ({ service: 'drill.Canary', address: h.address, stage: h.stage });
    const registry = createStaticRegistry([entry(stable), entry(canary)], { 'drill.Canary': { fallback: 'permissive' } });
    routing.push(registerGrayRouting({ registry, scheme: 'drill-canary' }));
    const client = routedClient('drill-canary:///drill.Canary');
    clients.push(client);
    await until(async () => (await callUnary(client, 'warm', 'canary').catch(() => undefined))?.hops[0]?.instance === 'canary-1', 5000);

    const load = startLoad(client, ['canary', undefined], 7000);
    await sleep(1500);
    const killAt = now();
    log('canary: killing canary-1');
    await canary.server.close();
    await sleep(2500);
    log('canary: restarting the canary (new process port) and re-adding it');
    const restartAt = now();
    const canary2 = await startHop('drill.Canary', 'canary-1b', 'canary');
    fleet.push(canary2);
    registry.setInstances([entry(stable), entry(canary2)]);
    const readdAt = now();
    await sleep(2500);
    load.stop();
    const results = await load.done;
    const s = summarize(results);
    const fallbackMs = firstLanding(results, 'canary', 'stable-1', killAt);
    const failedAfterKill = results.filter((r) => r.code !== undefined && r.start >= killAt);
    return {
      drill: 'canary instance killed under load (static registry, permissive)',
      ratePerSecond: rate,
      ...s,
      failedInFlightAtKill: results.filter((r) => r.code !== undefined && r.start < killAt).length,
      // Calls sent to the dying instance before the client saw its connection drop fail (CANCELLED /
      // UNAVAILABLE); once the router knows, none may fail.
      failedStartedAfterKill: failedAfterKill.length,
      failedStartedAfterFirstFallback: fallbackMs === undefined ? null : failedAfterKill.filter((r) => r.start > killAt + fallbackMs).length,
      msKillToLastFailure: round(failedAfterKill.length === 0 ? undefined : Math.max(...failedAfterKill.map((r) => r.end)) - killAt),
      untaggedOnCanary: results.filter((r) => r.stage === '(none)' && r.instance !== 'stable-1').length,
      msToFirstFallback: round(fallbackMs),
      msKillToLastCanaryCallNotOnStable: round(lastElsewhere(results.filter((r) => r.end < restartAt), 'canary', 'stable-1', killAt)),
      msRestartToReadd: round(readdAt - restartAt),
      msToRecoveryAfterReadd: round(firstLanding(results, 'canary', 'canary-1b', readdAt)),
      canaryCallsOnStableAfterRecovery: (() => {
        const rec = firstLanding(results, 'canary', 'canary-1b', readdAt);
        return rec === undefined ? null : results.filter((r) => r.stage === 'canary' && r.start > readdAt + rec && r.instance !== 'canary-1b').length;
      })(),
    };
  } finally {
    for (const c of clients) c.close();
    for (const r of routing) r.close();
    await Promise.all(fleet.map((h) => h.server.close()));
  }
}

// ---------------------------------------------------------------- drill b: etcd stopped and restarted

async function etcdDrill(): Promise<Record<string, unknown>> {
  if (!etcdAvailable()) return { drill: 'etcd stopped and restarted under load', skipped: 'etcd binary not found' };
  const fleet: HopInstance[] = [];
  const clients: HopClient[] = [];
  const closers: Array<() => unknown> = [];
  let etcd: EtcdServer | undefined;
  try {
    etcd = await startEtcd();
    const prefix = '/graylane-drill';
    const statuses: Array<{ at: number; status: GrayRegistryStatus }> = [];
    const errors: string[] = [];
    const router = createEtcdRegistry({ endpoints: etcd.endpoint, prefix, onStatus: (status) => statuses.push({ at: now(), status }), onError: (e) => errors.push(e.message) });
    closers.push(() => router.close());
    const announcer = createEtcdRegistry({ endpoints: etcd.endpoint, prefix });
    closers.push(() => announcer.close());
    await Promise.all([router.ready(), announcer.ready()]);
    const stable = await startHop('drill.Etcd', 'stable-1', 'stable');
    const canary = await startHop('drill.Etcd', 'canary-1', 'canary');
    const beta = await startHop('drill.Etcd', 'beta-1', 'beta');
    fleet.push(stable, canary, beta);
    for (const h of [stable, canary]) await announcer.register({ service: 'drill.Etcd', address: h.address, stage: h.stage });
    const routing = registerGrayRouting({ registry: router, scheme: 'drill-etcd' });
    closers.push(() => routing.close());
    const client = routedClient('drill-etcd:///drill.Etcd');
    clients.push(client);
    await until(async () => (await callUnary(client, 'warm', 'canary').catch(() => undefined))?.hops[0]?.instance === 'canary-1', 5000);

    const load = startLoad(client, ['canary', undefined, 'beta'], 15_000);
    await sleep(1500);
    log('etcd: stopping etcd');
    const stopAt = now();
    await etcd.stop();
    const unreachableAt = await until(() => router.status === 'unreachable', 10_000);
    await sleep(2000);
    log('etcd: starting etcd again');
    const restartAt = now();
    await etcd.start();
    const healthyAt = now();
    const okAt = await until(() => router.status === 'ok', 20_000);
    // A new instance (stage beta) registered after the restart must become routable.
    let registeredAt: number | undefined;
    await until(async () => {
      try {
        await announcer.register({ service: 'drill.Etcd', address: beta.address, stage: 'beta' });
        registeredAt = now();
        return true;
      } catch {
        return false;
      }
    }, 20_000);
    await until(() => router.getService('drill.Etcd').instances.some((i) => i.stage === 'beta'), 10_000);
    await sleep(1500);
    load.stop();
    const results = await load.done;
    const s = summarize(results);
    const down = during(results, stopAt, healthyAt, 'canary-1');
    return {
      drill: 'etcd stopped and restarted under load (etcd registry)',
      ratePerSecond: rate,
      ...s,
      callsWhileEtcdDown: down.calls,
      failedWhileEtcdDown: down.failed,
      canaryOffCanaryWhileDown: down.canaryOff,
      msEtcdDownForRestart: round(restartAt - stopAt),
      msToUnreachableStatus: round(unreachableAt === undefined ? undefined : unreachableAt - stopAt),
      msEtcdStartToHealthy: round(healthyAt - restartAt),
      msHealthyToResync: round(okAt === undefined ? undefined : okAt - healthyAt),
      msHealthyToNewInstanceRegistered: round(registeredAt === undefined ? undefined : registeredAt - healthyAt),
      msRegisteredToRoutable: round(registeredAt === undefined ? undefined : firstLanding(results, 'beta', 'beta-1', registeredAt)),
      msHealthyToNewInstanceRoutable: round(firstLanding(results, 'beta', 'beta-1', healthyAt)),
      statuses: statuses.map((x) => x.status),
      errorsReported: errors.length,
    };
  } finally {
    for (const c of clients) c.close();
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await Promise.all(fleet.map((h) => h.server.close()));
    await etcd?.close();
  }
}

// ---------------------------------------------------------------- drill c: registry file corrupted

async function fileDrill(): Promise<Record<string, unknown>> {
  const fleet: HopInstance[] = [];
  const clients: HopClient[] = [];
  const closers: Array<() => unknown> = [];
  const dir = mkdtempSync(join(tmpdir(), 'graylane-drill-'));
  try {
    const stable = await startHop('drill.File', 'stable-1', 'stable');
    const canary = await startHop('drill.File', 'canary-1', 'canary');
    const canary2 = await startHop('drill.File', 'canary-2', 'canary');
    fleet.push(stable, canary, canary2);
    const file = join(dir, 'registry.json');
    const doc = (c: HopInstance): string => JSON.stringify({
      instances: [{ service: 'drill.File', address: stable.address, stage: 'stable' }, { service: 'drill.File', address: c.address, stage: 'canary' }],
      rules: { 'drill.File': { fallback: 'permissive' } },
    }, null, 2);
    writeFileSync(file, doc(canary));
    const errors: Array<{ at: number; message: string }> = [];
    const registry = createFileRegistry(file, { onError: (e) => errors.push({ at: now(), message: e.message }) });
    closers.push(() => registry.close());
    const routing = registerGrayRouting({ registry, scheme: 'drill-file' });
    closers.push(() => routing.close());
    const client = routedClient('drill-file:///drill.File');
    clients.push(client);
    await until(async () => (await callUnary(client, 'warm', 'canary').catch(() => undefined))?.hops[0]?.instance === 'canary-1', 5000);

    const load = startLoad(client, ['canary', undefined], 8000);
    await sleep(1500);
    log('file: truncating the registry file mid-JSON');
    const corruptAt = now();
    writeFileSync(file, doc(canary2).slice(0, 60));
    const firstErrorAt = await until(() => errors.length > 0, 5000);
    await sleep(1000);
    log('file: a valid JSON file with an invalid entry (weight 0)');
    writeFileSync(file, doc(canary2).replace('"stage": "canary"', '"stage": "canary", "weight": 0'));
    await until(() => errors.length > 1, 5000);
    const keptDuringCorruption = registry.getService('drill.File').instances.map((i) => i.address).includes(canary.address);
    await sleep(1000);
    log('file: writing a fixed file that moves the canary to canary-2');
    const fixAt = now();
    writeFileSync(file, doc(canary2));
    await sleep(2500);
    load.stop();
    const results = await load.done;
    const s = summarize(results);
    const corrupt = during(results, corruptAt, fixAt, 'canary-1');
    return {
      drill: 'registry file corrupted under load (file registry, default debounce 50 ms / poll 2 s)',
      ratePerSecond: rate,
      ...s,
      callsWhileCorrupt: corrupt.calls,
      failedWhileCorrupt: corrupt.failed,
      canaryOffLastGoodWhileCorrupt: corrupt.canaryOff,
      lastGoodKept: keptDuringCorruption,
      errorsReported: errors.length,
      msToErrorReported: round(firstErrorAt === undefined ? undefined : firstErrorAt - corruptAt),
      msToFixPickedUp: round(firstLanding(results, 'canary', 'canary-2', fixAt)),
      lastErrorAfterFix: registry.lastError?.message ?? null,
    };
  } finally {
    for (const c of clients) c.close();
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await Promise.all(fleet.map((h) => h.server.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

/** Each drill's pass condition: what must hold for the drill to count as passed. */
function verdict(name: string, r: Record<string, unknown>): boolean {
  if (r.skipped !== undefined) return true;
  if (name === 'canary') return r.failedStartedAfterFirstFallback === 0 && r.untaggedOnCanary === 0 && r.msToFirstFallback !== null && r.msToRecoveryAfterReadd !== null;
  if (name === 'etcd') return r.failedWhileEtcdDown === 0 && r.failed === 0 && r.canaryOffCanaryWhileDown === 0 && r.msHealthyToResync !== null && r.msRegisteredToRoutable !== null;
  return r.failed === 0 && r.canaryOffLastGoodWhileCorrupt === 0 && r.lastGoodKept === true && r.msToFixPickedUp !== null && r.lastErrorAfterFix === null;
}

async function main(): Promise<number> {
  const off = onSigint(() => {
    interrupted = true;
  });
  const drills: Array<[string, () => Promise<Record<string, unknown>>]> = [['canary', canaryDrill], ['etcd', etcdDrill], ['file', fileDrill]];
  const out: Record<string, unknown>[] = [];
  let ok = true;
  try {
    for (const [name, run] of drills) {
      if (interrupted || (only !== undefined && only !== name)) continue;
      log(`drill ${name}… (load average ${loadavg()[0]!.toFixed(2)})`);
      const result = await run();
      const passed = verdict(name, result);
      ok &&= passed;
      out.push({ name, passed, loadavg1m: Math.round(loadavg()[0]! * 100) / 100, ...result });
      if (!json) console.log(`${passed ? 'ok  ' : 'FAIL'} ${name}: ${JSON.stringify(result, null, 2)}`);
    }
  } finally {
    off();
  }
  if (json) process.stdout.write(`${JSON.stringify({ ok, ratePerSecond: rate, drills: out, node: process.version })}\n`);
  return interrupted ? 130 : ok ? 0 : 1;
}

exitWith(main());
