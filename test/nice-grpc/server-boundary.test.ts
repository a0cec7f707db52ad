/**
 * grayServerMiddleware at a trust boundary, over real calls: forwarding by hand passes on exactly
 * what the middleware decided (also from `context.metadata`), the middleware after it are called
 * inside the context, and echoStage survives a handler that fails at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Metadata, ServerError, Status, composeServerMiddleware, type CallContext, type ServerMiddleware } from 'nice-grpc-common';
import { createGrayPolicy, getGrayContext } from '../../src/index.js';
import { forwardGrayMetadata, grayServerMiddleware, type GrayCallContextExt, type GrayServerMiddlewareOptions, type NiceForwardGrayMetadataOptions } from '../../src/nice-grpc/index.js';
import { callSignal, niceHopClient, probeHop, startNiceServer, type HopRecord, type NiceClient } from './helpers.js';

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

const OPTION_SETS: Record<string, NiceForwardGrayMetadataOptions | undefined> = {
  none: undefined,
  overwrite: { overwrite: true },
  trusting: { trustIncoming: true },
  policy: { policy: createGrayPolicy() },
};

/** Starts a server whose unary handler reports what forwardGrayMetadata gives from `context` and `context.metadata`. */
async function forwarding(options: GrayServerMiddlewareOptions): Promise<NiceClient> {
  const server = await startNiceServer({
    ...probeHop(),
    async unary(req, context: CallContext & Partial<GrayCallContextExt>) {
      const hops: HopRecord[] = [];
      for (const [name, opts] of Object.entries(OPTION_SETS)) {
        for (const [service, source] of [['context', context], ['metadata', context.metadata]] as const) {
          hops.push({ service, instance: '', stage: forwardGrayMetadata(source, undefined, opts).get('x-release-stage') ?? '', explicit: false, phase: name });
        }
      }
      return { id: req.id, hops };
    },
  }, { middleware: grayServerMiddleware(options) });
  const hop = niceHopClient(server.address, false);
  open.push(hop, server);
  return hop;
}

const forwardedStages = (hops: readonly HopRecord[]): string[] => [...new Set(hops.map((h) => `${h.service}:${h.stage || '(none)'}`))].sort();

describe('forwardGrayMetadata on a nice-grpc call forwards what grayServerMiddleware decided', () => {
  it('trustIncoming: false — a spoofed canary is forwarded neither from context nor from context.metadata, whatever the options', async () => {
    const hop = await forwarding({ trustIncoming: false });
    const reply = await hop.client.unary({ id: 'u' }, { metadata: Metadata({ 'x-release-stage': 'canary' }), signal: callSignal() });
    expect(reply.hops).toHaveLength(8);
    expect(forwardedStages(reply.hops)).toEqual(['context:(none)', 'metadata:(none)']);
  });

  it('resolve — the stage the resolver decided is forwarded from context.metadata too', async () => {
    const policy = createGrayPolicy({ trustIncoming: false });
    const hop = await forwarding({ policy, resolve: (ctx, md) => (md.get('x-user') === 'qa' ? createGrayPolicy().contextFor('canary') : ctx) });
    const reply = await hop.client.unary({ id: 'u' }, { metadata: Metadata({ 'x-user': 'qa' }), signal: callSignal() });
    expect(forwardedStages(reply.hops)).toEqual(['context:canary', 'metadata:canary']);
  });
});

describe('grayServerMiddleware calls the next middleware inside the context', () => {
  it('a plain-function middleware after it sees the stage when it is called', async () => {
    const seen: string[] = [];
    const plain: ServerMiddleware = (call, context) => {
      seen.push(getGrayContext()?.stage ?? 'none');
      return call.next(call.request, context);
    };
    // createServer().use(grayServerMiddleware()).use(plain)
    const server = await startNiceServer(probeHop(), { middleware: composeServerMiddleware(grayServerMiddleware(), plain) });
    const hop = niceHopClient(server.address, false);
    open.push(hop, server);
    await hop.client.unary({ id: 'u' }, { metadata: Metadata({ 'x-release-stage': 'canary' }), signal: callSignal() });
    expect(seen).toEqual(['canary']);
  });
});

describe('echoStage on a handler that fails at once', () => {
  it('the client still gets the stage (headers or trailers)', async () => {
    const server = await startNiceServer({
      ...probeHop(),
      async unary() {
        throw new ServerError(Status.PERMISSION_DENIED, 'no');
      },
    }, { middleware: grayServerMiddleware({ echoStage: true }) });
    const hop = niceHopClient(server.address, false);
    open.push(hop, server);
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    await expect(hop.client.unary({ id: 'e' }, {
      metadata: Metadata({ 'x-release-stage': 'canary' }),
      signal: callSignal(),
      onHeader: (md) => { header = md; },
      onTrailer: (md) => { trailer = md; },
    })).rejects.toMatchObject({ code: Status.PERMISSION_DENIED });
    expect(header?.get('x-release-stage') ?? trailer?.get('x-release-stage')).toBe('canary');
  });
});

describe('a handler that passes its incoming metadata on as-is ({ metadata: context.metadata })', () => {
  /** A raw downstream (no middleware) replying with the stage, authorization and x-gray-user it received. */
  async function rawDownstream(): Promise<NiceClient> {
    const server = await startNiceServer({
      ...probeHop(),
      async unary(req, context) {
        const md = context.metadata;
        return { id: req.id, hops: [{ service: 'raw', instance: md.get('authorization') ?? '', stage: md.get('x-release-stage') ?? '', explicit: false, phase: md.get('x-gray-user') ?? '' }] };
      },
    });
    const hop = niceHopClient(server.address, true);
    open.push(hop, server);
    return hop;
  }

  it('grayClientMiddleware sends the decided context, not the remote caller\'s gray keys; other keys pass', async () => {
    const down = await rawDownstream();
    const edge = await startNiceServer({
      ...probeHop(),
      async unary(req, context) {
        return down.client.unary(req, { metadata: context.metadata, signal: callSignal() });
      },
    }, { middleware: grayServerMiddleware({ trustIncoming: false, keyPrefix: 'x-gray-' }) });
    const hop = niceHopClient(edge.address, false);
    open.push(hop, edge);
    const reply = await hop.client.unary({ id: 'p' }, { metadata: Metadata({ 'x-release-stage': 'canary', authorization: 'Bearer t', 'x-gray-user': 'u1' }), signal: callSignal() });
    expect(reply.hops[0]).toMatchObject({ stage: '', instance: 'Bearer t', phase: 'u1' });
  });

  it('forwardGrayMetadata(context, context.metadata) replaces the remote caller\'s gray keys in place', async () => {
    const down = await rawDownstream();
    const edge = await startNiceServer({
      ...probeHop(),
      async unary(req, context) {
        // A client without grayClientMiddleware: only what forwardGrayMetadata wrote goes out.
        return down.client.unary(req, { metadata: forwardGrayMetadata(context, context.metadata), signal: callSignal() });
      },
    }, { middleware: grayServerMiddleware({ policy: createGrayPolicy({ trustIncoming: false }), resolve: (ctx, md) => (md.get('x-user') === 'qa' ? createGrayPolicy().contextFor('canary') : ctx) }) });
    const hop = niceHopClient(edge.address, false);
    open.push(hop, edge);
    const qa = await hop.client.unary({ id: 'q' }, { metadata: Metadata({ 'x-release-stage': 'blue', 'x-user': 'qa' }), signal: callSignal() });
    expect(qa.hops[0]!.stage).toBe('canary');
    const spoof = await hop.client.unary({ id: 's' }, { metadata: Metadata({ 'x-release-stage': 'canary' }), signal: callSignal() });
    expect(spoof.hops[0]!.stage).toBe('');
  });
});
