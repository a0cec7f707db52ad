/** Hop trace through nice-grpc: a grpc-js caller → nice-grpc middle hop → nice-grpc leaf. */
import { createChannel, createClientFactory, createServer, Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError, getReleaseStage } from '../../src/index.js';
import { grayClientMiddleware, grayServerMiddleware } from '../../src/nice-grpc/index.js';
import { HOPS_TRAILER_KEY, readHopTrace } from 'graylane/observe';
import { grayHopTraceClientMiddleware, grayHopTraceServerMiddleware } from 'graylane/observe/nice-grpc';
import { PricingDefinition } from '../../examples/shop/gen/nice/graylane/shop/v1/pricing.js';

type Stop = () => Promise<void>;
const stops: Stop[] = [];

async function pricingServer(service: string, next?: string, accept?: (md: Metadata) => boolean, trustIncoming = true): Promise<string> {
  const channel = next ? createChannel(next) : undefined;
  const downstream = channel && createClientFactory().use(grayHopTraceClientMiddleware()).use(grayClientMiddleware()).create(PricingDefinition, channel);
  const server = createServer().use(grayServerMiddleware({ trustIncoming })).use(grayHopTraceServerMiddleware({ service, instance: `${service}-1`, accept }));
  server.add(PricingDefinition, {
    async quote(req) {
      const below = downstream ? await downstream.quote(req) : undefined;
      return { totalCents: 1, servedBy: below?.servedBy ?? { service, instance: `${service}-1`, instanceStage: 'stable', requestStage: getReleaseStage() } };
    },
  });
  const port = await server.listen('127.0.0.1:0');
  stops.push(async () => { channel?.close(); await server.shutdown(); });
  return `127.0.0.1:${port}`;
}

async function traced(address: string, extra: Record<string, string> = {}): Promise<string | undefined> {
  const channel = createChannel(address);
  const client = createClientFactory().create(PricingDefinition, channel);
  let trailer: string | undefined;
  await client.quote({ sku: 'tea', quantity: 1 }, {
    metadata: Metadata({ 'x-release-stage': 'canary', 'x-gray-trace': '1', ...extra }),
    onTrailer: (t) => { trailer = t.get(HOPS_TRAILER_KEY); },
  });
  channel.close();
  return trailer;
}

describe('hop trace over nice-grpc', () => {
  let front: string;
  let guarded: string;
  let edge: string;
  beforeAll(async () => {
    edge = await pricingServer('edge', undefined, undefined, false);
    const leaf = await pricingServer('leaf');
    front = await pricingServer('front', leaf);
    guarded = await pricingServer('guarded', undefined, (md) => md.get('x-debug-token') === 'secret');
  });
  afterAll(async () => {
    for (const stop of stops) await stop();
  });

  it('an untrusting server (trustIncoming: false) ignores a client-sent x-gray-trace', async () => {
    expect(await traced(edge)).toBeUndefined();
  });

  it('returns both hops with the stage, in call order', async () => {
    const trace = readHopTrace(await traced(front));
    expect(trace).toEqual({
      status: 'ok', incomplete: false,
      hops: [
        { depth: 0, service: 'front', instance: 'front-1', stage: 'canary', explicit: true },
        { depth: 1, service: 'leaf', instance: 'leaf-1', stage: 'canary', explicit: true },
      ],
    });
  });

  it('accept() refuses a trace without the debug token', async () => {
    expect(await traced(guarded)).toBeUndefined();
    expect(readHopTrace(await traced(guarded, { 'x-debug-token': 'secret' })).status).toBe('ok');
  });

  it('bad options throw GrayConfigError', () => {
    expect(() => grayHopTraceServerMiddleware({ service: 'has space' })).toThrow(GrayConfigError);
    expect(() => grayHopTraceServerMiddleware({ service: 'ok', instance: '' })).toThrow(GrayConfigError);
    // As on grpc-js: a non-function `accept` is a configuration error, not a silent refusal of every trace.
    expect(() => grayHopTraceServerMiddleware({ service: 'ok', accept: 'yes' as never })).toThrow(GrayConfigError);
  });
});
