/**
 * graylane/openfeature with the real OpenFeature server SDK and its in-memory provider: a flag
 * evaluated inside canary and stable requests returns the two variants; many concurrent requests of
 * unique stages, through a real HTTP edge and a real grpc-js hop, never see each other's stage.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { InMemoryProvider, OpenFeature, type Client } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrayPolicy, GrayConfigError, runWithStage } from 'graylane';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import { grayHttpMiddleware } from 'graylane/http';
import { grayEvaluationContext, grayOpenFeatureHook } from 'graylane/openfeature';
import { hopClient, startServer, unary, type HopClient, type HopReply, type HopRequest, type RunningServer } from '../helpers/grpc.js';
import { Gate } from '../http/helpers.js';
import { QA_TOKEN, startShopfront, type Shopfront } from '../../examples/openfeature/shopfront.js';

const N = 200;
const STAGES = Array.from({ length: N }, (_, i) => `s${i}`);

describe('the example shop front (examples/openfeature)', () => {
  let shop: Shopfront;
  beforeAll(async () => {
    shop = await startShopfront();
  });
  afterAll(() => shop.close());

  it('canary requests get the new checkout, stable and untrusted ones the classic', async () => {
    const get = async (headers: Record<string, string>) => (await (await fetch(`${shop.url}/checkout`, { headers })).json()) as { checkout: string };
    expect(await get({})).toEqual({ checkout: 'classic' });
    expect(await get({ 'x-release-stage': 'canary', 'x-gray-token': QA_TOKEN })).toEqual({ checkout: 'new' });
    expect(await get({ 'x-release-stage': 'stable', 'x-gray-token': QA_TOKEN })).toEqual({ checkout: 'classic' });
    expect(await get({ 'x-release-stage': 'canary' })).toEqual({ checkout: 'classic' });
    expect(await get({ 'x-release-stage': 'canary', 'x-gray-token': 'forged' })).toEqual({ checkout: 'classic' });
  });
});

describe('grayOpenFeatureHook across a real HTTP edge and a grpc-js hop, concurrently', () => {
  let flags: Client;
  let backend: RunningServer;
  let client: HopClient;
  let edge: http.Server;
  let gate: Gate;

  beforeAll(async () => {
    // One variant per stage: the flag's value is the stage the evaluation saw.
    const variants = Object.fromEntries(STAGES.map((s) => [s, s]));
    await OpenFeature.setProviderAndWait('concurrency', new InMemoryProvider({
      'stage-echo': { variants: { ...variants, none: 'none' }, defaultVariant: 'none', disabled: false, contextEvaluator: (ctx) => String(ctx['releaseStage']) },
    }));
    flags = OpenFeature.getClient('concurrency');
    flags.addHooks(grayOpenFeatureHook());
    backend = await startServer({
      unary(call: grpc.ServerUnaryCall<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
        void (async () => {
          await new Promise((r) => setTimeout(r, Number(call.request.id.slice(1)) % 5));
          const value = await flags.getStringValue('stage-echo', 'none');
          cb(null, { id: call.request.id, hops: [{ service: 'backend', instance: 'b', stage: value, explicit: true, phase: 'flag' }] });
        })();
      },
    }, { interceptors: [grayServerInterceptor()] });
    client = hopClient(backend.address, { interceptors: [grayClientInterceptor()] });
    const gray = grayHttpMiddleware({ trustIncoming: true });
    edge = http.createServer((req, res) => gray(req, res, () => {
      void (async () => {
        const before = await flags.getStringValue('stage-echo', 'none');
        await gate.wait();
        const reply = await unary(client, { id: req.url!.slice(1) });
        const after = await flags.getStringValue('stage-echo', 'none');
        res.end(JSON.stringify({ before, backend: reply.hops[0]!.stage, after }));
      })();
    }));
    await new Promise<void>((r) => edge.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    client?.close();
    await backend?.close();
    edge?.closeAllConnections();
    await new Promise<void>((r) => (edge ? edge.close(() => r()) : r()));
    await OpenFeature.clearProviders();
  });

  it(`${N} concurrent requests of unique stages each see only their own stage, at the edge and at the grpc-js hop`, async () => {
    gate = new Gate(N);
    const port = (edge.address() as AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true, maxSockets: N });
    const results = await Promise.all(STAGES.map((stage, i) => new Promise<{ stage: string; body: string }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: `/r${i}`, agent, headers: { 'x-release-stage': stage } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ stage, body }));
      }).on('error', reject);
    })));
    agent.destroy();
    expect(gate.peak).toBe(N); // all in flight together
    const mixed = results.filter((r) => r.body !== JSON.stringify({ before: r.stage, backend: r.stage, after: r.stage }));
    expect(mixed).toEqual([]);
  });

  it('outside a request the stage is the default', async () => {
    expect(await flags.getStringValue('stage-echo', 'none')).toBe('none'); // 'stable' is no variant of this flag
    expect(grayEvaluationContext()).toEqual({ releaseStage: 'stable' });
  });
});

describe('grayOpenFeatureHook options', () => {
  let flags: Client;
  beforeAll(async () => {
    await OpenFeature.setProviderAndWait('options', new InMemoryProvider({
      'who': { variants: { on: 'x' }, defaultVariant: 'on', disabled: false, contextEvaluator: () => 'on' },
    }));
  });
  afterAll(() => OpenFeature.clearProviders());

  /** The evaluation context the provider received, through a hook that runs after graylane's. */
  async function contextSeen(hookOptions: Parameters<typeof grayOpenFeatureHook>[0], invocation: Record<string, string> = {}): Promise<Record<string, unknown>> {
    flags = OpenFeature.getClient('options');
    let seen: Record<string, unknown> = {};
    await flags.getStringValue('who', '', invocation, { hooks: [grayOpenFeatureHook(hookOptions), { before: (hc) => void (seen = { ...hc.context }) }] });
    return seen;
  }

  it('copies configured carried keys, the explicit flag, and a stage attribute of your naming', async () => {
    const policy = createGrayPolicy({ keys: ['x-gray-user'] });
    const ctx = { stage: 'canary', explicit: true, entries: Object.assign(Object.create(null) as Record<string, string>, { 'x-release-stage': 'canary', 'x-gray-user': 'qa-7' }) };
    const { runWithGrayContext } = await import('graylane');
    const seen = await runWithGrayContext(ctx, () => contextSeen({ stageAttribute: 'lane', explicitAttribute: 'laneExplicit', keys: { 'X-Gray-User': 'grayUser', 'x-gray-absent': 'absent' }, policy }));
    expect(seen).toMatchObject({ lane: 'canary', laneExplicit: true, grayUser: 'qa-7' });
    expect(seen).not.toHaveProperty('absent');
    expect(seen).not.toHaveProperty('releaseStage');
  });

  it('a value set explicitly on the evaluation wins, unless overwrite', async () => {
    expect(await runWithStage('canary', () => contextSeen({}, { releaseStage: 'stable' }))).toMatchObject({ releaseStage: 'stable' });
    expect(await runWithStage('canary', () => contextSeen({ overwrite: true }, { releaseStage: 'stable' }))).toMatchObject({ releaseStage: 'canary' });
  });

  it.each([
    ['a prototype attribute', { stageAttribute: '__proto__' }],
    ['an empty attribute', { stageAttribute: '' }],
    ['a bad key', { keys: ['bad key'] }],
    ['a duplicate attribute', { keys: { 'x-a': 'releaseStage' } }],
  ])('throws GrayConfigError for %s', (_name, options) => {
    expect(() => grayOpenFeatureHook(options)).toThrow(GrayConfigError);
  });
});
