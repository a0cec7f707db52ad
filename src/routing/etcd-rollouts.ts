/**
 * Rollout records and leadership in etcd: compare-and-swap updates of `<prefix>/rollouts/<name>`,
 * and an etcd3 election (`<prefix>/elections/`) per rollout, re-campaigned after a lost lease.
 * Loaded only by `createEtcdRegistry`.
 * @packageDocumentation
 */
import type { Campaign, Etcd3 } from 'etcd3';
import { hostname } from 'node:os';
import { normalizeRolloutRecord, type GrayRolloutRecord } from './rollout-record.js';
import type { RolloutRecords } from './rollout-records.js';
import type { GrayRolloutCampaign, GrayRolloutCampaignHandlers } from './rollout-registry.js';

/**
 * Reads the record under `key`, passes it (the last good one when corrupted) to `update`, and
 * writes the result only if the key did not change meanwhile (retried up to 5 times).
 * @returns the written value and its revision, or `undefined` when `update` left it unchanged.
 */
export async function casRollout(
  client: Etcd3,
  key: string,
  name: string,
  records: RolloutRecords,
  update: (current: GrayRolloutRecord | undefined) => GrayRolloutRecord | undefined,
): Promise<{ value: string; revision: number } | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = (await client.get(key).exec()).kvs[0];
    let stored: GrayRolloutRecord | undefined;
    if (current !== undefined) {
      let raw: unknown;
      try {
        raw = JSON.parse(current.value.toString());
      } catch {
        raw = undefined;
      }
      stored = records.apply(name, raw, `etcd key ${JSON.stringify(key)}`);
    }
    const next = update(stored);
    if (next === undefined) return undefined;
    const value = JSON.stringify(normalizeRolloutRecord(next, `updateRollout('${name}')`));
    const guard = current === undefined ? client.if(key, 'Create', '==', 0) : client.if(key, 'Mod', '==', Number(current.mod_revision));
    const res = await guard.then(client.put(key).value(value)).commit();
    if (res.succeeded) return { value, revision: Number(res.header.revision) };
  }
  throw new Error(`graylane: updateRollout: key ${key} kept changing under concurrent writers; retry.`);
}

/** Campaigns for rollout `name` until `resign()`; after a lost campaign (lease error) campaigns again after `retryMs`. */
export function campaignEtcdLeader(
  client: Etcd3,
  prefix: string,
  name: string,
  ttlSeconds: number,
  retryMs: number,
  handlers: GrayRolloutCampaignHandlers,
  report: (e: Error) => void,
): GrayRolloutCampaign {
  const election = client.namespace(`${prefix}/elections/`).election(name, ttlSeconds);
  let campaign: Campaign | undefined;
  let leader = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const run = (): void => {
    if (stopped) return;
    const mine = election.campaign(`${hostname()} ${process.pid}`);
    campaign = mine;
    mine.on('elected', () => {
      if (stopped || campaign !== mine) return;
      leader = true;
      try {
        handlers.onElected();
      } catch {
        // ignored
      }
    });
    mine.on('error', (error: Error) => {
      if (campaign !== mine) return;
      const was = leader;
      leader = false;
      campaign = undefined;
      report(error);
      if (was) {
        try {
          handlers.onLost(error);
        } catch {
          // ignored
        }
      }
      void mine.resign().catch(() => undefined);
      if (!stopped) {
        timer = setTimeout(run, retryMs);
        timer.unref();
      }
    });
  };
  run();

  return {
    get leader() {
      return leader;
    },
    async resign() {
      if (stopped) return;
      stopped = true;
      leader = false;
      if (timer !== undefined) clearTimeout(timer);
      await campaign?.resign().catch(() => undefined);
    },
  };
}
