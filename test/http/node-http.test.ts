/** grayHttpHandler / grayHttpMiddleware on a plain node:http gateway calling a real grpc-js backend. */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError, coloringInput, createColoringRules, getGrayContext, recordCarrier, type GrayInvalidEvent } from '../../src/index.js';
import { grayHttpHandler, grayHttpMiddleware, type GrayHttpOptions } from '../../src/http/index.js';
import { Gate, concurrentUniqueStages, gatewayReply, getJson, listen, request, startBackend, type Backend, type RunningHttp } from './helpers.js';

const TOKEN = 'tester-secret-1';

describe('node:http gateway', () => {
  let backend: Backend;
  let gateway: RunningHttp;
  let gate: Gate | undefined;
  const events: GrayInvalidEvent[] = [];
  const rules = createColoringRules([
    { name: 'qa group', stage: 'canary', match: { header: 'x-user-group', equals: 'qa' } },
    { name: 'beta cookie', stage: 'beta', match: { cookie: 'beta', equals: '1' } },
    { name: 'rollout', stage: 'canary', rollout: { percent: 20, header: 'x-user-id' } },
  ]);
  const options: GrayHttpOptions = {
    aliases: ['x-canary-version'],
    onInvalid: (e) => events.push(e),
    trust: { tokenHeader: 'X-Gray-Token', tokens: ['other-token', TOKEN] },
    rules,
    echoStage: true,
  };

  beforeAll(async () => {
    backend = await startBackend();
    const handler = grayHttpHandler(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://gw');
      if (url.pathname === '/healthz' || url.pathname === '/ready') {
        res.end(JSON.stringify({ context: getGrayContext() ?? null }));
        return;
      }
      const reply = await gatewayReply(backend.client, url.searchParams.get('id') ?? 'x', gate);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(reply));
    }, options);
    gateway = await listen(http.createServer(handler));
  });
  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
  });

  it('ignores an untrusted client stage and reports it as untrusted', async () => {
    events.length = 0;
    const r = await getJson(gateway.port, '/call?id=1', { 'x-release-stage': 'canary' });
    expect(r).toMatchObject({ local: 'stable', explicit: false, downstream: 'stable' });
    expect(events).toEqual([{ key: 'x-release-stage', reason: 'untrusted', value: 'canary' }]);
  });

  it('accepts a stage admitted by a valid token (header names in any case) and forwards it', async () => {
    const r = await getJson(gateway.port, '/call?id=2', { 'X-GRAY-TOKEN': TOKEN, 'X-Release-Stage': 'Canary' });
    expect(r).toMatchObject({ local: 'canary', explicit: true, downstream: 'canary' });
  });

  it('ignores the stage when the token is wrong, empty or a prefix of a real one', async () => {
    for (const token of ['wrong', '', TOKEN.slice(0, -1), `${TOKEN}x`]) {
      events.length = 0;
      const r = await getJson(gateway.port, '/call?id=3', { 'x-gray-token': token, 'x-release-stage': 'canary' });
      expect(r).toMatchObject({ local: 'stable', downstream: 'stable' });
      expect(events.map((e) => e.reason)).toEqual(['untrusted']);
    }
  });

  it('reads a trusted stage under an alias such as X-Canary-Version', async () => {
    const r = await getJson(gateway.port, '/call?id=4', { 'x-gray-token': TOKEN, 'X-Canary-Version': 'v2' });
    expect(r).toMatchObject({ local: 'v2', downstream: 'v2' });
  });

  it('colors by rules when no trusted stage, and a trusted stage wins over rules', async () => {
    expect(await getJson(gateway.port, '/call?id=5', { 'x-user-group': 'qa' })).toMatchObject({ local: 'canary', explicit: true, downstream: 'canary' });
    expect(await getJson(gateway.port, '/call?id=6', { cookie: 'a=1; beta=1' })).toMatchObject({ local: 'beta', downstream: 'beta' });
    expect(await getJson(gateway.port, '/call?id=7', { 'x-user-group': 'qa', 'x-gray-token': TOKEN, 'x-release-stage': 'blue' })).toMatchObject({ downstream: 'blue' });
  });

  it('echoes the resolved stage as a response header', async () => {
    const res = await request(gateway.port, '/call?id=8', { 'x-user-group': 'qa' });
    expect(res.headers['x-release-stage']).toBe('canary');
    expect((await request(gateway.port, '/call?id=9')).headers['x-release-stage']).toBe('stable');
  });

  it('never colors health checks: no context, no echo, even with a trusted stage or a matching rule', async () => {
    for (const path of ['/healthz', '/healthz?probe=1']) {
      const res = await request(gateway.port, path, { 'x-gray-token': TOKEN, 'x-release-stage': 'canary', 'x-user-group': 'qa' });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ context: null });
      expect(res.headers['x-release-stage']).toBeUndefined();
    }
    // Not a health path by default: it is colored.
    const ready = JSON.parse((await request(gateway.port, '/ready', { 'x-user-group': 'qa' })).body) as { context: { stage: string } };
    expect(ready.context.stage).toBe('canary');
  });

  it('rules swapped at run time apply to the next request, no restart', async () => {
    const before = rules.rules;
    try {
      expect((await getJson(gateway.port, '/call?id=10', { 'x-user-group': 'qa' })).downstream).toBe('canary');
      rules.setRules([{ stage: 'green', match: { header: 'x-user-group', equals: 'qa' } }]);
      expect((await getJson(gateway.port, '/call?id=11', { 'x-user-group': 'qa' })).downstream).toBe('green');
      expect(() => rules.setRules([{ stage: 'green', match: { header: 'x-user-group', regex: '[' } }])).toThrow(GrayConfigError);
      expect((await getJson(gateway.port, '/call?id=12', { 'x-user-group': 'qa' })).downstream).toBe('green');
    } finally {
      rules.setRules(before);
    }
  });

  it('percentage rollout over HTTP: each user gets the engine\'s answer, stays put on repeats and when the share grows', async () => {
    const before = rules.rules;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    try {
      const ids = Array.from({ length: 300 }, (_, i) => `customer-${i}`);
      const ask = (id: string): Promise<string> => getJson(gateway.port, `/call?id=${id}`, { 'x-user-id': id }, agent).then((r) => r.downstream);
      const first = await Promise.all(ids.map(ask));
      expect(first).toEqual(ids.map((id) => rules.resolve(coloringInput({ 'x-user-id': id }, recordCarrier, '/call')) ?? 'stable'));
      expect(await Promise.all(ids.map(ask))).toEqual(first);
      const inCanary = first.filter((s) => s === 'canary').length;
      expect(inCanary).toBeGreaterThan(0);
      expect(inCanary).toBeLessThan(ids.length);
      rules.setRules([{ stage: 'canary', rollout: { percent: 60, header: 'x-user-id' } }]);
      const after = await Promise.all(ids.map(ask));
      first.forEach((stage, i) => { if (stage === 'canary') expect(after[i]).toBe('canary'); });
      expect(after.filter((s) => s === 'canary').length).toBeGreaterThan(inCanary);
    } finally {
      agent.destroy();
      rules.setRules(before);
    }
  });

  it('keeps 1,000 concurrent requests isolated, gateway and gRPC backend alike', async () => {
    gate = new Gate(1000);
    try {
      const { mismatches, done } = await concurrentUniqueStages(gateway.port, 1000, TOKEN);
      expect(done).toBe(1000);
      expect(mismatches).toBe(0);
      // All 1,000 were in flight at the gateway together (the gate opened on the last arrival).
      expect(gate.peak).toBe(1000);
    } finally {
      gate = undefined;
    }
  });
});

describe('grayHttpMiddleware options', () => {
  it('calls next inside the context, and straight through for configured health paths', () => {
    const mw = grayHttpMiddleware({ trustIncoming: true, healthPaths: ['/ping'] });
    const res = new http.ServerResponse(new http.IncomingMessage(null as never));
    const seen: (string | undefined)[] = [];
    const req = (url: string): http.IncomingMessage => Object.assign(new http.IncomingMessage(null as never), { url, headers: { 'x-release-stage': 'canary' } });
    mw(req('/x'), res, () => seen.push(getGrayContext()?.stage));
    mw(req('/ping'), res, () => seen.push(getGrayContext()?.stage));
    mw(req('/healthz'), res, () => seen.push(getGrayContext()?.stage));
    expect(seen).toEqual(['canary', undefined, 'canary']);
  });

  const bad: [string, GrayHttpOptions, RegExp][] = [
    ['bad rules', { rules: [{ stage: 'UPPER' }] }, /coloring rule #0/],
    ['bad token header', { trust: { tokenHeader: 'bad header', tokens: ['x'] } }, /trust.tokenHeader/],
    ['no tokens', { trust: { tokenHeader: 'x-gray-token', tokens: [] } }, /trust.tokens must be a non-empty array/],
    ['bad trust', { trust: 'yes' as never }, /trust must be/],
    ['bad health paths', { healthPaths: ['healthz'] }, /healthPaths/],
    ['bad echo', { echoStage: 'bad header' }, /echoStage/],
    ['bad policy option', { stageKey: 'Bad Key' }, /stageKey/],
    ['rule stage outside allowlist', { stages: ['stable', 'canary'], rules: [{ stage: 'blue' }] }, /not in the policy's stages/],
  ];
  it.each(bad)('%s → GrayConfigError at construction', (_label, options, message) => {
    expect(() => grayHttpMiddleware(options)).toThrow(GrayConfigError);
    expect(() => grayHttpMiddleware(options)).toThrow(message);
  });

  it('a throwing trust predicate means "not trusted", never a failed request', () => {
    const mw = grayHttpMiddleware({ trust: () => { throw new Error('boom'); } });
    const res = new http.ServerResponse(new http.IncomingMessage(null as never));
    const req = Object.assign(new http.IncomingMessage(null as never), { url: '/', headers: { 'x-release-stage': 'canary' } });
    let stage: string | undefined;
    mw(req, res, () => (stage = getGrayContext()?.stage));
    expect(stage).toBe('stable');
  });
});
