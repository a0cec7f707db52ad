/**
 * Issue 16: a real Nest chain — HTTP (Express and Fastify) → Nest gRPC A → Nest gRPC B → grpc-js
 * leaf — carries each request's stage through every hop and all four gRPC call types between A and
 * B: 1,000 concurrent mixed requests with unique stages, 0 lost, 0 crossed; untrusted HTTP callers
 * cannot set the stage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gate, KINDS, TOKEN, getHop, startChain, startHttp, type Chain, type EdgeReply, type Platform } from './chain.js';

let chain: Chain;
beforeAll(async () => { chain = await startChain(); });
afterAll(async () => { await chain?.close(); });

const N = 1000;

describe.each<Platform>(['express', 'fastify'])('Nest %s app → Nest gRPC A → Nest gRPC B → grpc-js leaf', (platform) => {
  it(`${N} concurrent mixed requests with unique stages: 0 lost, 0 crossed, every hop and call type`, async () => {
    const gate = new Gate(N);
    const http = await startHttp(platform, chain.a.url, { gate });
    try {
      const jobs = Array.from({ length: N }, (_, i) => {
        const kind = KINDS[i % KINDS.length]!;
        const stage = `s-${platform}-${i}`;
        const id = `${kind}:${i}`;
        return getHop(http.url, id, { 'x-release-stage': stage, 'x-gray-token': TOKEN })
          .then((reply) => ({ kind, stage, id, reply }), (err: unknown) => ({ kind, stage, id, error: String(err) }));
      });
      const results = await Promise.all(jobs);
      const lost = results.filter((r) => 'error' in r);
      expect(lost).toEqual([]);
      expect(gate.peak).toBe(N);
      const crossed: string[] = [];
      const perKind = new Map<string, number>();
      for (const r of results as { kind: string; stage: string; id: string; reply: EdgeReply }[]) {
        const { reply } = r;
        if (reply.id !== r.id) crossed.push(`${r.id}: answered ${reply.id}`);
        // every hop: http handler, A (entry, after-await), B (per call type), B's decorators, leaf
        const hops = [reply.http, ...reply.hops];
        for (const hop of hops) if (hop.stage !== r.stage || !hop.explicit) crossed.push(`${r.id}: ${hop.service}/${hop.phase} saw ${hop.stage}`);
        if (reply.http.instance !== r.stage) crossed.push(`${r.id}: @ReleaseStage() gave ${reply.http.instance}`);
        const services = new Set(hops.map((h) => h.service));
        for (const s of ['http', 'a', 'b', 'leaf']) if (!services.has(s)) crossed.push(`${r.id}: no ${s} hop`);
        perKind.set(r.kind, (perKind.get(r.kind) ?? 0) + 1);
      }
      expect(crossed.slice(0, 10)).toEqual([]);
      expect([...perKind.values()]).toEqual([N / 4, N / 4, N / 4, N / 4]);
    } finally {
      await http.app.close();
    }
  }, 120_000);

  it('an untrusted caller cannot set the stage, nor pass control keys, the token or hostile values downstream', async () => {
    const http = await startHttp(platform, chain.a.url);
    try {
      const hostile: Record<string, string>[] = [
        { 'x-release-stage': 'canary' },
        { 'x-release-stage': 'canary, beta' },
        { 'x-release-stage': 'canary', 'x-gray-token': 'wrong-token' },
        { 'x-release-stage': 'canary', 'x-gray-trace': '1' },
        { 'x-release-stage': 'canary', '__proto__': 'x', 'constructor': 'y' },
        { 'x-release-stage': 'c'.repeat(16_000) },
      ];
      for (const headers of hostile) {
        for (const kind of KINDS) {
          const reply = await getHop(http.url, `${kind}:hostile`, headers);
          for (const hop of [reply.http, ...reply.hops]) {
            expect({ where: `${hop.service}/${hop.phase}`, stage: hop.stage, explicit: hop.explicit }).toEqual({ where: `${hop.service}/${hop.phase}`, stage: 'stable', explicit: false });
          }
          const leaf = reply.hops.find((h) => h.service === 'leaf')!;
          expect(leaf.instance).toBe('leaf');
        }
      }
      // The trusted caller's token admits its stage — but the token itself never travels on.
      const trusted = await getHop(http.url, 'unary:trusted', { 'x-release-stage': 'canary', 'x-gray-token': TOKEN, 'x-gray-trace': '1' });
      expect(trusted.hops.map((h) => h.stage)).toEqual(trusted.hops.map(() => 'canary'));
      expect(trusted.hops.find((h) => h.service === 'leaf')!.instance).toBe('leaf');
    } finally {
      await http.app.close();
    }
  });
});
