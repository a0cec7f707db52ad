import { describe, expect, it } from 'vitest';
import { unary } from '../helpers/grpc.js';
import { stagesOf, useHopServer, withStage } from './fixture.js';

describe('grpc-js unary', () => {
  const { client } = useHopServer();

  it('the handler sees the stage at entry and after await', async () => {
    const reply = await unary(client(), { id: '1' }, withStage('canary'));
    expect(reply.hops.map((h) => [h.phase, h.stage, h.explicit])).toEqual([
      ['entry', 'canary', true],
      ['after-await', 'canary', true],
    ]);
  });

  it('an untagged call is stable and not explicit', async () => {
    const reply = await unary(client(), { id: '2' }, withStage(undefined));
    expect(reply.hops.every((h) => h.stage === 'stable' && !h.explicit)).toBe(true);
  });

  it('CANARY is read as canary; junk falls back to stable without failing the call', async () => {
    expect(stagesOf((await unary(client(), { id: '3' }, withStage('CANARY'))).hops)).toEqual(['canary']);
    expect(stagesOf((await unary(client(), { id: '4' }, withStage('../x'))).hops)).toEqual(['stable']);
  });

  it('isolates 500 concurrent calls with unique stages', async () => {
    const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => unary(client(), { id: String(i) }, withStage(`s-${i}`))));
    replies.forEach((r, i) => expect(stagesOf(r.hops)).toEqual([`s-${i}`]));
  });
});
