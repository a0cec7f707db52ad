import { describe, expect, it } from 'vitest';
import { collect, type HopClient, type HopReply } from '../helpers/grpc.js';
import { stagesOf, useHopServer, withStage } from './fixture.js';

function bidi(client: HopClient, stage: string, messages: number): Promise<HopReply[]> {
  const call = client.bidi(withStage(stage));
  const done = collect<HopReply>(call);
  for (let i = 0; i < messages; i++) call.write({ id: `${stage}#${i}` });
  call.end();
  return done;
}

describe('grpc-js bidi streaming', () => {
  const { client } = useHopServer();

  it("the handler sees the stage at entry and in every 'data' listener", async () => {
    const replies = await bidi(client(), 'canary', 3);
    expect(replies.map((r) => r.id)).toEqual(['canary#0', 'canary#1', 'canary#2']);
    for (const r of replies) expect(r.hops.map((h) => `${h.phase}:${h.stage}`)).toEqual(['entry:canary', 'data:canary']);
  });

  it('isolates 300 concurrent streams with unique stages', async () => {
    const all = await Promise.all(Array.from({ length: 300 }, (_, i) => bidi(client(), `s-${i}`, 2)));
    all.forEach((replies, i) => {
      expect(replies).toHaveLength(2);
      expect(stagesOf(replies.flatMap((r) => r.hops))).toEqual([`s-${i}`]);
    });
  });
});
