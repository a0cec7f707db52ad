/**
 * graylane/connect at the trust boundary and on the client side, over real servers: untrusted by
 * default, token trust, rules, health paths, echo, hostile headers (spoofed, joined, control keys,
 * prototype names, huge values), explicit caller values win, forwardGrayMetadata and
 * getCallGrayContext.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { createGrayPolicy, getGrayContext, getReleaseStage, runWithStage, type GrayInvalidEvent } from 'graylane';
import { forwardGrayMetadata, getCallGrayContext, grayClientInterceptor, grayServerInterceptor, GRAY_CONTEXT_KEY } from 'graylane/connect';
import { GrayConfigError } from '../../src/core/errors.js';
import { connectClient, startConnectServer, type ConnectServer, type Hop } from './helpers.js';

const TOKEN = 'qa-secret';

/** What the probe reports. */
interface Seen {
  stage: string; explicit: boolean; entries: Record<string, string>; call: string; value: string;
  forwarded: Record<string, string>; passedOnStage: string | null; passedOnTrace: string | null;
}

/** A unary-only probe: answers with the context it saw as JSON in the reply id, and what it would forward. */
function probe(): ServiceImpl<typeof Hop> {
  const seen = (context: HandlerContext) => {
    const ctx = getGrayContext();
    const forwarded = forwardGrayMetadata(context);
    const passedOn = forwardGrayMetadata(undefined, context.requestHeader);
    return JSON.stringify({
      stage: ctx?.stage ?? 'none',
      explicit: ctx?.explicit ?? false,
      entries: { ...ctx?.entries },
      call: getCallGrayContext(context)?.stage ?? 'none',
      value: context.values.get(GRAY_CONTEXT_KEY)?.stage ?? 'none',
      forwarded: Object.fromEntries(forwarded),
      passedOnStage: passedOn.get('x-release-stage'),
      passedOnTrace: passedOn.get('x-gray-trace'),
    });
  };
  const unsupported = () => {
    throw new Error('unary only');
  };
  return {
    unary: (_req, context) => ({ id: seen(context), hops: [] }),
    serverStream: unsupported,
    clientStream: unsupported,
    bidi: unsupported,
  };
}

describe('Connect server at the trust boundary', () => {
  let open: ConnectServer;
  let edge: ConnectServer;
  const invalid: GrayInvalidEvent[] = [];
  beforeAll(async () => {
    edge = await startConnectServer(probe(), [grayServerInterceptor({
      keyPrefix: 'x-gray-',
      trust: { tokenHeader: 'x-gray-token', tokens: [TOKEN] },
      rules: [{ stage: 'canary', match: { header: 'x-user-group', equals: 'beta' } }],
      echoStage: true,
      onInvalid: (e) => invalid.push(e),
    })]);
    open = await startConnectServer(probe(), [grayServerInterceptor({ trustIncoming: true, keyPrefix: 'x-gray-' })]);
  });
  afterAll(async () => {
    await edge.close();
    await open.close();
  });

  const call = async (server: ConnectServer, headers: Record<string, string>, protocol: 'connect' | 'grpc' | 'grpc-web' = 'connect') => {
    let echoed: string | null = null;
    const r = await connectClient(protocol, server.url).unary({ id: '' }, { headers, onHeader: (h) => (echoed = h.get('x-release-stage')) });
    return { ...(JSON.parse(r.id) as Seen), echoed };
  };

  it.each(['connect', 'grpc', 'grpc-web'] as const)('by default a client-supplied stage is not believed (%s); a valid token admits it', async (protocol) => {
    invalid.length = 0;
    const spoofed = await call(edge, { 'x-release-stage': 'canary' }, protocol);
    expect(spoofed).toMatchObject({ stage: 'stable', explicit: false, call: 'stable', echoed: 'stable' });
    expect(invalid).toEqual([expect.objectContaining({ key: 'x-release-stage', reason: 'untrusted' })]);
    const admitted = await call(edge, { 'x-release-stage': 'canary', 'x-gray-token': TOKEN }, protocol);
    expect(admitted).toMatchObject({ stage: 'canary', explicit: true, call: 'canary', value: 'canary', echoed: 'canary' });
    expect(admitted.entries).not.toHaveProperty('x-gray-token');
    expect(admitted.forwarded).not.toHaveProperty('x-gray-token');
    expect((await call(edge, { 'x-release-stage': 'canary', 'x-gray-token': 'guess' }, protocol)).stage).toBe('stable');
  });

  it('rules color untrusted calls; the forwarded headers are the decision, not the caller\'s claim', async () => {
    const colored = await call(edge, { 'x-user-group': 'beta', 'x-release-stage': 'blue', 'x-gray-trace': '1' });
    expect(colored).toMatchObject({ stage: 'canary', forwarded: { 'x-release-stage': 'canary' }, passedOnStage: 'canary' });
    expect(colored.forwarded).not.toHaveProperty('x-gray-trace');
    expect(colored.passedOnTrace).toBeNull();
  });

  it('hostile headers: joined values take the first, prototype names stay inert, huge values fall back', async () => {
    expect((await call(open, { 'x-release-stage': 'Canary, beta' })).stage).toBe('canary');
    const proto = await call(open, { 'x-gray-__proto__': 'p', 'x-gray-constructor': 'c', 'x-gray-hasownproperty': 'h' });
    expect(proto.entries).toEqual({ 'x-gray-__proto__': 'p', 'x-gray-constructor': 'c', 'x-gray-hasownproperty': 'h' });
    expect(Object.getPrototypeOf({})).not.toHaveProperty('p');
    const huge = await call(open, { 'x-release-stage': 'c'.repeat(6000), 'x-gray-big': 'v'.repeat(6000) });
    expect(huge).toMatchObject({ stage: 'stable', explicit: false, entries: {} });
  });

  it('a trusting internal service takes the caller\'s stage and control keys', async () => {
    const r = await call(open, { 'x-release-stage': 'canary', 'x-gray-trace': '1' });
    expect(r).toMatchObject({ stage: 'canary', entries: { 'x-release-stage': 'canary', 'x-gray-trace': '1' } });
  });

  it('bad options throw GrayConfigError at construction', () => {
    expect(() => grayServerInterceptor({ trust: { tokenHeader: 'x-gray-token', tokens: [] } })).toThrow(GrayConfigError);
    expect(() => grayServerInterceptor({ healthPaths: ['healthz'] })).toThrow(/healthPaths/);
    expect(() => grayServerInterceptor({ echoStage: 'bad header' as string })).toThrow(/echoStage/);
    expect(() => grayServerInterceptor({ trust: { tokenHeader: 'x-release-stage', tokens: ['t'] } })).toThrow(/trust token header/);
  });
});

describe('interceptor order', () => {
  it('an interceptor after grayServerInterceptor in the array runs inside the call\'s context', async () => {
    const seen: string[] = [];
    const after = (next: Parameters<ReturnType<typeof grayServerInterceptor>>[0]) => (req: Parameters<typeof next>[0]) => {
      seen.push(getReleaseStage());
      return next(req);
    };
    const server = await startConnectServer(probe(), [grayServerInterceptor({ trustIncoming: true }), after]);
    try {
      await connectClient('connect', server.url).unary({ id: '' }, { headers: { 'x-release-stage': 'canary' } });
      expect(seen).toEqual(['canary']);
    } finally {
      await server.close();
    }
  });
});

describe('Connect client interceptor', () => {
  let open: ConnectServer;
  beforeAll(async () => {
    open = await startConnectServer(probe(), [grayServerInterceptor({ trustIncoming: true, keyPrefix: 'x-gray-' })]);
  });
  afterAll(() => open.close());

  it('adds the current context; header values the caller set win; the caller\'s Headers object is not modified', async () => {
    const client = connectClient('grpc', open.url, [grayClientInterceptor()]);
    const mine = new Headers({ 'x-gray-user': 'u1' });
    const r = await runWithStage('canary', () => client.unary({ id: '' }, { headers: mine }));
    expect(JSON.parse(r.id)).toMatchObject({ stage: 'canary', entries: { 'x-release-stage': 'canary', 'x-gray-user': 'u1' } });
    expect([...mine.keys()]).toEqual(['x-gray-user']);
    const explicit = await runWithStage('canary', () => client.unary({ id: '' }, { headers: { 'x-release-stage': 'blue' } }));
    expect(JSON.parse(explicit.id).stage).toBe('blue');
    const overwrite = connectClient('grpc', open.url, [grayClientInterceptor({ overwrite: true })]);
    const replaced = await runWithStage('canary', () => overwrite.unary({ id: '' }, { headers: { 'x-release-stage': 'blue' } }));
    expect(JSON.parse(replaced.id).stage).toBe('canary');
    const outside = await client.unary({ id: '' });
    expect(JSON.parse(outside.id)).toMatchObject({ stage: 'stable', explicit: false });
  });

  it('forwardGrayMetadata: current context, a context, headers no interceptor saw (read with the given policy)', () => {
    expect(runWithStage('canary', () => forwardGrayMetadata().get('x-release-stage'))).toBe('canary');
    const into = new Headers({ 'x-release-stage': 'mine' });
    expect(runWithStage('canary', () => forwardGrayMetadata(undefined, into).get('x-release-stage'))).toBe('mine');
    const raw = new Headers({ 'x-release-stage': 'canary' });
    expect(forwardGrayMetadata(raw).get('x-release-stage')).toBe('canary');
    expect(forwardGrayMetadata(raw, undefined, { policy: createGrayPolicy({ trustIncoming: false }) }).get('x-release-stage')).toBeNull();
    expect(getReleaseStage()).toBe('stable');
    expect(getCallGrayContext(raw)).toBeUndefined();
    expect(forwardGrayMetadata(42 as never).has('x-release-stage')).toBe(false);
  });
});
