/**
 * `forwardGrayMetadata(call)` and `getCallGrayContext(call)` on a grpc-js server: a handler that
 * forwards by hand passes on exactly the context `grayServerInterceptor` decided for the call (an
 * untrusted caller's stage is not forwarded, a stage a resolver decided is), whatever options it passes.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrayPolicy, type GrayContext } from '../../src/index.js';
import { forwardGrayMetadata, getCallGrayContext, grayClientInterceptor, grayServerInterceptor, type ForwardGrayMetadataOptions } from '../../src/grpc-js/index.js';
import { collect, hopClient, startServer, unary, type HopClient, type HopRecord, type HopReply, type RunningServer } from '../helpers/grpc.js';

/** The option sets a handler may pass; none of them may change what an intercepted call forwards. */
const OPTION_SETS: Record<string, ForwardGrayMetadataOptions | undefined> = {
  none: undefined,
  overwrite: { overwrite: true },
  trusting: { trustIncoming: true },
  policy: { policy: createGrayPolicy() },
};

/** One record per option set: `phase` = option set, `stage` = forwarded stage key ('' when absent), `instance` = the accessor's stage. */
function forwarded(call: { metadata: grpc.Metadata }): HopRecord[] {
  const accessor = getCallGrayContext(call);
  const out: HopRecord[] = [];
  for (const [name, options] of Object.entries(OPTION_SETS)) {
    for (const source of [call, call.metadata]) {
      const md = forwardGrayMetadata(source, undefined, options);
      out.push({ service: source === call ? 'call' : 'metadata', instance: accessor?.stage ?? '-', stage: md.get('x-release-stage').join(','), explicit: accessor?.explicit ?? false, phase: name });
    }
  }
  return out;
}

const impl: grpc.UntypedServiceImplementation = {
  unary(call: grpc.ServerUnaryCall<unknown, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
    cb(null, { id: 'u', hops: forwarded(call) });
  },
  serverStream(call: grpc.ServerWritableStream<unknown, HopReply>) {
    call.write({ id: 's', hops: forwarded(call) });
    call.end();
  },
  clientStream(call: grpc.ServerReadableStream<unknown, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
    const hops = forwarded(call);
    call.on('data', () => undefined);
    call.on('end', () => cb(null, { id: 'c', hops }));
  },
  bidi(call: grpc.ServerDuplexStream<unknown, HopReply>) {
    const hops = forwarded(call);
    call.on('data', () => undefined);
    call.on('end', () => {
      call.write({ id: 'b', hops });
      call.end();
    });
  },
};

async function allCallTypes(client: HopClient, md: grpc.Metadata): Promise<HopRecord[]> {
  const u = await unary(client, { id: 'u' }, md);
  const s = await collect<HopReply>(client.serverStream({ id: 's' }, md));
  const c = await new Promise<HopReply>((resolve, reject) => {
    const stream = client.clientStream(md, (err, res) => (err ? reject(err) : resolve(res!)));
    stream.write({ id: 'c' });
    stream.end();
  });
  const bidi = client.bidi(md);
  const b = collect<HopReply>(bidi);
  bidi.write({ id: 'b' });
  bidi.end();
  return [...u.hops, ...s[0]!.hops, ...c.hops, ...(await b)[0]!.hops];
}

/** `forwarded stage / accessor stage` per record, deduplicated: one value means every path agreed. */
const outcomes = (hops: readonly HopRecord[]): string[] => [...new Set(hops.map((h) => `${h.stage || '(none)'}/${h.instance}`))];

function metadata(entries: Record<string, string>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(entries)) md.set(k, v);
  return md;
}

describe('forwardGrayMetadata(call) forwards what grayServerInterceptor decided', () => {
  const servers: RunningServer[] = [];
  const clients: HopClient[] = [];
  const start = async (interceptors: grpc.ServerInterceptor[]): Promise<HopClient> => {
    const server = await startServer(impl, { interceptors });
    servers.push(server);
    const client = hopClient(server.address);
    clients.push(client);
    return client;
  };
  let untrusting: HopClient;
  let coloring: HopClient;
  let plain: HopClient;
  beforeAll(async () => {
    untrusting = await start([grayServerInterceptor({ trustIncoming: false })]);
    const canary: GrayContext = createGrayPolicy().contextFor('canary');
    coloring = await start([grayServerInterceptor({
      trustIncoming: false,
      resolve: (ctx, md) => (md.get('x-user')[0] === 'qa' ? canary : ctx),
    })]);
    plain = await start([]);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.close();
  });

  it('trustIncoming: false — a spoofed canary is never forwarded, for all four call types and any options', async () => {
    const hops = await allCallTypes(untrusting, metadata({ 'x-release-stage': 'canary' }));
    expect(hops).toHaveLength(4 * Object.keys(OPTION_SETS).length * 2);
    expect(outcomes(hops)).toEqual(['(none)/stable']);
  });

  it('resolve / coloring — the stage the resolver decided is forwarded, for all four call types and any options', async () => {
    const hops = await allCallTypes(coloring, metadata({ 'x-user': 'qa' }));
    expect(outcomes(hops)).toEqual(['canary/canary']);
    // The same edge does not forward a caller's own claim.
    expect(outcomes(await allCallTypes(coloring, metadata({ 'x-release-stage': 'canary' })))).toEqual(['(none)/stable']);
  });

  it('a call no interceptor saw: no context from the accessor; forwarding reads the raw metadata with the given policy', async () => {
    const hops = await allCallTypes(plain, metadata({ 'x-release-stage': 'canary' }));
    const byOptions = (name: string) => [...new Set(hops.filter((h) => h.phase === name).map((h) => `${h.stage || '(none)'}/${h.instance}`))];
    expect(byOptions('none')).toEqual(['canary/-']);
    expect(byOptions('overwrite')).toEqual(['canary/-']);
    expect(byOptions('policy')).toEqual(['canary/-']);
    const untrusted = forwardGrayMetadata(metadata({ 'x-release-stage': 'canary' }), undefined, { trustIncoming: false });
    expect(untrusted.getMap()).toEqual({});
  });

  it('getCallGrayContext returns undefined for anything that is not an intercepted call', () => {
    expect(getCallGrayContext(metadata({ 'x-release-stage': 'canary' }))).toBeUndefined();
    expect(getCallGrayContext({ metadata: metadata({ 'x-release-stage': 'canary' }) })).toBeUndefined();
    expect(getCallGrayContext(undefined as unknown as grpc.Metadata)).toBeUndefined();
    expect(getCallGrayContext({} as unknown as grpc.Metadata)).toBeUndefined();
  });
});

describe('a handler that passes its incoming metadata on as the outgoing metadata (a common shortcut)', () => {
  const servers: RunningServer[] = [];
  const clients: HopClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.close();
  });

  /** edge (given interceptor) → raw downstream that reports the x-release-stage and authorization it received. */
  async function edgeChain(edge: grpc.ServerInterceptor): Promise<HopClient> {
    const raw = await startServer({
      unary: (call: grpc.ServerUnaryCall<unknown, HopReply>, cb: grpc.sendUnaryData<HopReply>) =>
        cb(null, { id: 'raw', hops: [{ service: 'raw', instance: call.metadata.get('authorization').join(','), stage: call.metadata.get('x-release-stage').join(','), explicit: false, phase: call.metadata.get('x-gray-user').join(',') }] }),
    });
    const down = hopClient(raw.address, { interceptors: [grayClientInterceptor()] });
    const front = await startServer({
      unary: (call: grpc.ServerUnaryCall<unknown, HopReply>, cb: grpc.sendUnaryData<HopReply>) =>
        // The shortcut: forward every incoming header (auth included) by passing call.metadata on.
        down.unary({ id: 'x' }, call.metadata, (err, res) => (err ? cb(err) : cb(null, res!))),
    }, { interceptors: [edge] });
    const client = hopClient(front.address);
    servers.push(raw, front);
    clients.push(down, client);
    return client;
  }

  it('the interceptor decision replaces the caller\'s gray keys: a spoofed canary does not get past an untrusting edge', async () => {
    const client = await edgeChain(grayServerInterceptor({ trustIncoming: false, keyPrefix: 'x-gray-' }));
    const reply = await unary(client, { id: '1' }, metadata({ 'x-release-stage': 'canary', authorization: 'Bearer t', 'x-gray-user': 'u1' }));
    expect(reply.hops[0]).toMatchObject({ stage: '', instance: 'Bearer t', phase: 'u1' });
  });

  it('forwardGrayMetadata(call, call.metadata) replaces the caller\'s gray keys in place, keeps the rest', async () => {
    const server = await startServer({
      unary: (call: grpc.ServerUnaryCall<unknown, HopReply>, cb: grpc.sendUnaryData<HopReply>) => {
        const out = forwardGrayMetadata(call, call.metadata);
        cb(null, { id: 'f', hops: [{ service: 'f', instance: out.get('authorization').join(','), stage: out.get('x-release-stage').join(','), explicit: out === call.metadata, phase: out.get('x-gray-user').join(',') }] });
      },
    }, { interceptors: [grayServerInterceptor({ trustIncoming: false, keyPrefix: 'x-gray-' })] });
    servers.push(server);
    const client = hopClient(server.address);
    clients.push(client);
    const reply = await unary(client, { id: '1' }, metadata({ 'x-release-stage': 'canary', authorization: 'Bearer t', 'x-gray-user': 'u1' }));
    expect(reply.hops[0]).toMatchObject({ stage: '', instance: 'Bearer t', phase: 'u1', explicit: true });
  });

  it('a stage the resolver decided goes out even when the caller sent another one', async () => {
    const canary = createGrayPolicy().contextFor('canary');
    const client = await edgeChain(grayServerInterceptor({ trustIncoming: false, resolve: (ctx, md) => (md.get('x-user')[0] === 'qa' ? canary : ctx) }));
    const reply = await unary(client, { id: '1' }, metadata({ 'x-release-stage': 'blue', 'x-user': 'qa' }));
    expect(reply.hops[0]!.stage).toBe('canary');
  });
});
