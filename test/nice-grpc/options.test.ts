/** grayServerMiddleware options (policy, resolve, trustIncoming, keyPrefix) and grayClientMiddleware's overwrite, over real calls. */
import { afterEach, describe, expect, it } from 'vitest';
import { Metadata } from 'nice-grpc-common';
import { createGrayPolicy, getGrayContext, runWithStage, type GrayInvalidEvent } from '../../src/index.js';
import { createChannel, createClientFactory } from 'nice-grpc';
import { grayClientMiddleware, grayServerMiddleware, type GrayServerMiddlewareOptions } from '../../src/nice-grpc/index.js';
import { HopDefinition } from '../../examples/shop/gen/nice/graylane/hop/v1/hop.js';
import { callSignal, mismatches, niceHopClient, probeHop, startNiceServer, type NiceClient, type NiceServer } from './helpers.js';

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

async function serve(options: GrayServerMiddlewareOptions): Promise<NiceClient> {
  const server: NiceServer = await startNiceServer(probeHop(), { middleware: grayServerMiddleware(options) });
  const hop = niceHopClient(server.address, false);
  open.push(hop, server);
  return hop;
}

describe('grayServerMiddleware options', () => {
  it('policy: a stage outside the allowlist becomes the default stage and is reported', async () => {
    const invalid: GrayInvalidEvent[] = [];
    const hop = await serve({ policy: createGrayPolicy({ stages: ['stable', 'canary'], onInvalid: (e) => invalid.push(e) }) });
    const blue = await hop.client.unary({ id: 'b' }, { metadata: Metadata({ 'x-release-stage': 'blue' }), signal: callSignal() });
    expect(mismatches(blue.hops, 'stable', false)).toEqual([]);
    expect(invalid).toEqual([{ key: 'x-release-stage', reason: 'not-allowed', value: 'blue' }]);
    const canary = await hop.client.unary({ id: 'c' }, { metadata: Metadata({ 'x-release-stage': 'canary' }), signal: callSignal() });
    expect(mismatches(canary.hops, 'canary')).toEqual([]);
  });

  it('policy options inline: aliases are read, trustIncoming false ignores the caller\'s stage', async () => {
    const aliased = await serve({ aliases: ['x-canary-version'] });
    const viaAlias = await aliased.client.unary({ id: 'a' }, { metadata: Metadata({ 'x-canary-version': 'canary' }), signal: callSignal() });
    expect(mismatches(viaAlias.hops, 'canary')).toEqual([]);

    const edge = await serve({ trustIncoming: false });
    const untrusted = await edge.client.unary({ id: 'e' }, { metadata: Metadata({ 'x-release-stage': 'canary' }), signal: callSignal() });
    expect(mismatches(untrusted.hops, 'stable', false)).toEqual([]);
  });

  it('resolve decides the context; a throwing resolve keeps the extracted one', async () => {
    const policy = createGrayPolicy();
    const colored = await serve({ policy, resolve: (ctx, md) => (md.get('x-user') === 'qa' ? policy.contextFor('canary') : ctx) });
    const qa = await colored.client.unary({ id: 'q' }, { metadata: Metadata({ 'x-user': 'qa' }), signal: callSignal() });
    expect(mismatches(qa.hops, 'canary')).toEqual([]);

    const faulty = await serve({ resolve: () => { throw new Error('boom'); } });
    const kept = await faulty.client.unary({ id: 'f' }, { metadata: Metadata({ 'x-release-stage': 'blue' }), signal: callSignal() });
    expect(mismatches(kept.hops, 'blue')).toEqual([]);
  });

  it('keyPrefix: extra keys reach the handler\'s context', async () => {
    let seen: Readonly<Record<string, string>> | undefined;
    const server = await startNiceServer({
      ...probeHop(),
      async unary(req) {
        seen = getGrayContext()?.entries;
        return { id: req.id, hops: [] };
      },
    }, { middleware: grayServerMiddleware({ keyPrefix: 'x-gray-' }) });
    const hop = niceHopClient(server.address, false);
    open.push(hop, server);
    await hop.client.unary({ id: 'k' }, { metadata: Metadata({ 'x-release-stage': 'canary', 'x-gray-user': 'u1', 'x-other': 'no' }), signal: callSignal() });
    expect(seen).toEqual({ 'x-release-stage': 'canary', 'x-gray-user': 'u1' });
  });
});

describe('grayClientMiddleware options', () => {
  it('overwrite: the context replaces the caller\'s keys on the wire, never in the caller\'s object', async () => {
    const server = await startNiceServer(probeHop(), { middleware: grayServerMiddleware() });
    const channel = createChannel(server.address);
    open.push(server, channel);
    const client = createClientFactory().use(grayClientMiddleware({ overwrite: true })).create(HopDefinition, channel);
    const metadata = Metadata({ 'x-release-stage': 'blue' });
    const reply = await runWithStage('canary', () => client.unary({ id: 'o' }, { metadata, signal: callSignal() }));
    expect(mismatches(reply.hops, 'canary')).toEqual([]);
    expect([...metadata]).toEqual([['x-release-stage', ['blue']]]);
  });
});
