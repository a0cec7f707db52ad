import { describe, expect, it } from 'vitest';
import type { HopReply } from '../helpers/grpc.js';
import type { HopClient } from '../helpers/grpc.js';
import { stagesOf, useHopServer, withStage } from './fixture.js';

function clientStream(client: HopClient, stage: string, messages: number): Promise<HopReply> {
  return new Promise((resolve, reject) => {
    const call = client.clientStream(withStage(stage), (err, res) => (err ? reject(err) : resolve(res!)));
    for (let i = 0; i < messages; i++) call.write({ id: `${stage}` });
    call.end();
  });
}

describe('grpc-js client streaming', () => {
  const { client } = useHopServer();

  it("the handler sees the stage at entry, in 'data' and 'end' listeners, and after await", async () => {
    const reply = await clientStream(client(), 'canary', 2);
    expect(reply.hops.map((h) => `${h.phase}:${h.stage}`)).toEqual([
      'entry:canary', 'data:canary', 'data:canary', 'end:canary', 'after-await:canary',
    ]);
  });

  it('isolates 300 concurrent streams with unique stages', async () => {
    const replies = await Promise.all(Array.from({ length: 300 }, (_, i) => clientStream(client(), `s-${i}`, 3)));
    replies.forEach((r, i) => {
      expect(r.hops).toHaveLength(6);
      expect(stagesOf(r.hops)).toEqual([`s-${i}`]);
    });
  });
});
