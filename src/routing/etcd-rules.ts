/**
 * `setStageDisabled` for etcd: a compare-and-swap update of `<prefix>/rules/<service>`, so
 * concurrent writers (two rollback guards, an operator) never lose each other's change.
 * @packageDocumentation
 */
import type { Etcd3 } from 'etcd3';
import { DEFAULT_RULES, normalizeRules, withStageDisabled } from './validate.js';

/**
 * Adds `stage` to (or removes it from) `disabledStages` of the rules under `key`. A malformed stored
 * rule is reported through `onBroken` and replaced (falling back must not be blocked by it).
 * @returns the written value and its revision.
 */
export async function writeStageDisabled(
  client: Etcd3,
  key: string,
  stage: string,
  disabled: boolean,
  onBroken: (error: unknown) => void,
): Promise<{ key: string; value: string; revision: number }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = (await client.get(key).exec()).kvs[0];
    let rules = DEFAULT_RULES;
    if (current !== undefined) {
      try {
        rules = normalizeRules(JSON.parse(current.value.toString()), `etcd ${key}`);
      } catch (e) {
        onBroken(e);
      }
    }
    const value = JSON.stringify(withStageDisabled(rules, stage, disabled));
    const guard = current === undefined ? client.if(key, 'Create', '==', 0) : client.if(key, 'Mod', '==', Number(current.mod_revision));
    const res = await guard.then(client.put(key).value(value)).commit();
    if (res.succeeded) return { key, value, revision: Number(res.header.revision) };
  }
  throw new Error(`graylane: setStageDisabled: rules key ${key} kept changing under concurrent writers; retry.`);
}
