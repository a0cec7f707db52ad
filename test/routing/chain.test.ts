import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grayClientInterceptor } from '../../src/grpc-js/index.js';
import { createStaticRegistry, registerGrayRouting } from '../../src/routing/index.js';
import { collect, type HopClient, type HopRecord, type HopReply } from '../helpers/grpc.js';
import { callUnary, closeAll, routedClient, startHop, type HopInstance } from './hop-fleet.js';

/** client → front (stable | canary) → back (stable | canary); the front's downstream stage comes from its gray context. */
describe('2-hop chain on one channel per hop, mixed stages, four call types', () => {
  const fleet: HopInstance[] = [];
  let front: HopClient;
  let back: HopClient;

  beforeAll(async () => {
    // Register first: a client created before the scheme is registered resolves its target as DNS.
    const registry = createStaticRegistry();
    registerGrayRouting({ registry });
    back = routedClient('graylane:///back', { interceptors: [grayClientInterceptor()] });
    const downstream = async (id: string): Promise<HopRecord[]> => (await callUnary(back, `${id}>back`)).hops;
    fleet.push(
      await startHop('back', 'back-stable-1', 'stable'),
      await startHop('back', 'back-stable-2', 'stable'),
      await startHop('back', 'back-canary-1', 'canary'),
      await startHop('front', 'front-stable-1', 'stable', downstream),
      await startHop('front', 'front-canary-1', 'canary', downstream),
      await startHop('front', 'front-canary-2', 'canary', downstream),
    );
    registry.setInstances(fleet.map((h) => ({ service: h.name.split('-')[0]!, address: h.address, stage: h.stage })));
    front = routedClient('graylane:///front');
  });
  afterAll(() => closeAll(fleet, [front, back]));

  const md = (stage: string | undefined): grpc.Metadata => {
    const m = new grpc.Metadata();
    if (stage !== undefined) m.set('x-release-stage', stage);
    return m;
  };
  const callTypes: Record<string, (stage: string | undefined, id: string) => Promise<HopReply[]>> = {
    unary: async (stage, id) => [await callUnary(front, id, stage)],
    serverStream: (stage, id) => collect<HopReply>(front.serverStream({ id, count: 2 }, md(stage))),
    clientStream: (stage, id) => new Promise((resolve, reject) => {
      const call = front.clientStream(md(stage), (err, res) => (err ? reject(err) : resolve([res!])));
      call.write({ id: `${id}a` });
      call.write({ id: `${id}b` });
      call.end();
    }),
    bidi: (stage, id) => {
      const call = front.bidi(md(stage));
      const done = collect<HopReply>(call);
      call.write({ id: `${id}a` });
      call.write({ id: `${id}b` });
      call.end();
      return done;
    },
  };
  const cases: [string | undefined, string][] = [['canary', 'canary'], ['stable', 'stable'], [undefined, 'stable'], ['Canary', 'canary'], ['bad stage!', 'stable']];

  for (const [type, run] of Object.entries(callTypes)) {
    it(`${type}: every hop serves the call's stage`, async () => {
      for (const [tag, want] of cases) {
        const instances = new Set<string>();
        for (let i = 0; i < 6; i++) {
          const replies = await run(tag, `${type}-${String(tag)}-${i}`);
          expect(replies.length).toBeGreaterThan(0);
          for (const reply of replies) {
            expect(reply.hops.map((h) => h.service)).toEqual(['front', 'back']);
            for (const hop of reply.hops) {
              expect(hop.instance).toContain(`-${want}-`);
              expect(hop.stage).toBe(want);
              instances.add(hop.instance);
            }
          }
        }
        // Round-robin spreads the calls over every instance of the stage.
        const expected = fleet.filter((h) => h.stage === want).map((h) => h.name).sort();
        expect([...instances].sort()).toEqual(expected);
      }
    });
  }
});
