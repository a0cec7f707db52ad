/**
 * A closed routing registration lets go of its registry: the registry listeners taken by the
 * channels' resolvers are removed at once, and nothing graylane keeps process-wide still references
 * the registry (it can be garbage-collected), while a channel created before keeps routing.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { createStaticRegistry, registerGrayRouting, type GrayRegistry } from 'graylane/routing';
import { closeAll, eventually, routedClient, servedBy, startHop, type HopInstance } from './hop-fleet.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A user-written registry (GrayRegistry is public) that counts the listeners it holds. */
function countingRegistry(inner: GrayRegistry): GrayRegistry & { listeners(): number } {
  let active = 0;
  return {
    getService: (s) => inner.getService(s),
    watchService(service, listener) {
      const stop = inner.watchService(service, listener);
      active++;
      let stopped = false;
      return () => {
        if (stopped) return;
        stopped = true;
        active--;
        stop();
      };
    },
    setStageDisabled: (s, st, d) => inner.setStageDisabled(s, st, d),
    get status() {
      return inner.status;
    },
    close: () => inner.close(),
    listeners: () => active,
  };
}

describe('closing a routing registration releases its registry', () => {
  const fleet: HopInstance[] = [];
  afterAll(() => closeAll(fleet));

  it('removes the listeners its channels took on the registry at once; an open channel keeps its last routing', async () => {
    const canary = await startHop('rel', 'canary-r', 'canary');
    const stable = await startHop('rel', 'stable-r', 'stable');
    fleet.push(canary, stable);
    const registry = countingRegistry(createStaticRegistry([canary, stable].map((h) => ({ service: 'rel', address: h.address, stage: h.stage }))));
    const routing = registerGrayRouting({ registry, scheme: 'release' });
    const client = routedClient('release:///rel');
    try {
      expect(await servedBy(client, 'canary')).toBe('canary-r');
      expect(registry.listeners()).toBe(1);
      routing.close();
      // No registry change is needed for the listener to go.
      expect(registry.listeners()).toBe(0);
      // The channel created before keeps its last routing state.
      expect(await servedBy(client, 'canary')).toBe('canary-r');
      expect(await servedBy(client, undefined)).toBe('stable-r');
      await new Promise((r) => setTimeout(r, 50));
      expect(registry.listeners()).toBe(0);
    } finally {
      client.close();
    }
  });

  it('nothing graylane holds keeps a closed registration\'s registry alive', async () => {
    const inst = await startHop('gc', 'stable-gc', 'stable');
    fleet.push(inst);
    const { ref, client } = await (async () => {
      const registry = createStaticRegistry([{ service: 'gc', address: inst.address, stage: 'stable' }]);
      const routing = registerGrayRouting({ registry, scheme: 'releasegc' });
      const c = routedClient('releasegc:///gc');
      expect(await servedBy(c, undefined)).toBe('stable-gc');
      routing.close();
      return { ref: new WeakRef(registry), client: c };
    })();
    try {
      await eventually(async () => {
        await new Promise((r) => setTimeout(r, 10));
        gc();
        expect(ref.deref()).toBeUndefined();
      }, 3000);
      // Still routed by the last state, although the registry is gone.
      expect(await servedBy(client, undefined)).toBe('stable-gc');
    } finally {
      client.close();
    }
  });
});
