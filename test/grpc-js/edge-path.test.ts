/** A gRPC edge sees the method path: path rules match it, and grpc.health.v1.Health is never colored. */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coloringResolver, createColoringRules, createGrayPolicy, getReleaseStage } from '../../src/index.js';
import { grayServerInterceptor, grpcMetadataCarrier } from '../../src/grpc-js/index.js';
import { nice, type NiceHarness } from './edge-path-nice.js';

const raw = (b: Buffer) => b;
/** A bytes-in, bytes-out service: replies with the stage the handler saw. */
const stageService = (path: string): grpc.ServiceDefinition => ({
  Check: { path, requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw, originalName: 'Check' },
});
const HEALTH = '/grpc.health.v1.Health/Check';
const ORDERS = '/shop.v1.Orders/Place';

describe('gRPC edge coloring by method path', () => {
  const policy = createGrayPolicy({ trustIncoming: false });
  // Everything is colored canary by a catch-all rule, so a health call staying stable proves it is skipped.
  const rules = createColoringRules([
    { name: 'orders', stage: 'blue', match: { pathPrefix: '/shop.v1.Orders/' } },
    { name: 'pricing', stage: 'green', match: { pathPrefix: '/graylane.shop.v1.Pricing/' } },
    { name: 'everyone', stage: 'canary' },
  ], { policy });
  let server: grpc.Server;
  let client: grpc.Client;
  let niceEdge: NiceHarness;

  beforeAll(async () => {
    server = new grpc.Server({ interceptors: [grayServerInterceptor({ policy, resolve: coloringResolver(rules, grpcMetadataCarrier, policy) })] });
    const handler = (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(getReleaseStage()));
    server.addService(stageService(HEALTH), { Check: handler });
    server.addService(stageService(ORDERS), { Check: handler });
    const port = await new Promise<number>((ok, fail) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    niceEdge = await nice(policy, rules);
  });
  afterAll(async () => {
    client.close();
    server.forceShutdown();
    await niceEdge.close();
  });

  const stageOf = (path: string) => new Promise<string>((ok, fail) =>
    client.makeUnaryRequest(path, raw, raw, Buffer.alloc(0), new grpc.Metadata(), (e, r) => (e ? fail(e) : ok(r!.toString()))));

  it('grpc-js: path rules match the method path; health checks are never colored', async () => {
    expect(await stageOf(ORDERS)).toBe('blue');
    expect(await stageOf(HEALTH)).toBe('stable');
  });

  it('nice-grpc: the same resolver sees the method path', async () => {
    expect(await niceEdge.stageOf('tea')).toBe('green');
  });
});
