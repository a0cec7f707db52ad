import { createRequire } from 'node:module';
import { createChannel, createClient, Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaticRegistry, registerGrayRouting, type GrpcModule } from '../../src/routing/index.js';
import { loadHop, type HopReply, type HopRequest } from '../helpers/grpc.js';
import { closeAll, startHop, type HopInstance } from './hop-fleet.js';

// nice-grpc builds channels with the @grpc/grpc-js *it* resolves (never aliased by vitest), so
// routing is registered on that copy through the `grpc` option — the documented way for a second copy.
const niceGrpcJs = createRequire(import.meta.url)('@grpc/grpc-js') as GrpcModule;

describe('nice-grpc: createChannel("graylane:///svc")', () => {
  let fleet: HopInstance[] = [];
  beforeAll(async () => {
    fleet = await Promise.all([startHop('n', 'stable-1', 'stable'), startHop('n', 'canary-1', 'canary')]);
    const registry = createStaticRegistry(fleet.map((h) => ({ service: 'n', address: h.address, stage: h.stage })));
    registerGrayRouting({ registry, grpc: niceGrpcJs, scheme: 'graylane' });
  });
  afterAll(() => closeAll(fleet));

  it('routes each call by the stage in its metadata', async () => {
    const channel = createChannel('graylane:///n');
    type Unary = { Unary(req: HopRequest, opts?: { metadata?: Metadata }): Promise<HopReply> };
    const client = createClient(loadHop().service as never, channel) as unknown as Unary;
    try {
      for (let i = 0; i < 4; i++) {
        const canary = await client.Unary({ id: `c${i}` }, { metadata: Metadata({ 'x-release-stage': 'canary' }) });
        const plain = await client.Unary({ id: `p${i}` });
        expect(canary.hops[0]!.instance).toBe('canary-1');
        expect(plain.hops[0]!.instance).toBe('stable-1');
      }
    } finally {
      channel.close();
    }
  });
});
