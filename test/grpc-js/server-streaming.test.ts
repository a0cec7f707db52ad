import { describe, expect, it } from 'vitest';
import { collect, type HopReply } from '../helpers/grpc.js';
import { stagesOf, useHopServer, withStage } from './fixture.js';

describe('grpc-js server streaming', () => {
  const { client } = useHopServer();

  it('the handler sees the stage at entry and after await, for every message', async () => {
    const replies = await collect<HopReply>(client().serverStream({ id: '1', count: 3 }, withStage('canary')));
    expect(replies).toHaveLength(3);
    for (const r of replies) expect(r.hops.map((h) => `${h.phase}:${h.stage}`)).toEqual(['entry:canary', 'after-await:canary']);
  });

  it('isolates 300 concurrent streams with unique stages', async () => {
    const all = await Promise.all(
      Array.from({ length: 300 }, (_, i) => collect<HopReply>(client().serverStream({ id: String(i), count: 2 }, withStage(`s-${i}`)))),
    );
    all.forEach((replies, i) => {
      expect(replies).toHaveLength(2);
      expect(stagesOf(replies.flatMap((r) => r.hops))).toEqual([`s-${i}`]);
    });
  });
});
