/**
 * grayNiceServerStack / grayNiceClientStack: one table of behaviours, run against the single
 * middleware `use`d in the documented order and against the composers — every row must give the
 * same, expected result on both installs. Real nice-grpc servers: client → A → B.
 */
import { createChannel, createClientFactory, createServer, Metadata, ServerError, Status, type ClientMiddleware, type ServerMiddleware } from 'nice-grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { getGrayContext, runWithStage } from 'graylane';
import { grayClientMiddleware, grayServerMiddleware, type GrayCallContextExt } from 'graylane/nice-grpc';
import { createRollbackGuard, HOPS_TRAILER_KEY, readHopTrace, type RollbackGuard } from 'graylane/observe';
import {
  grayClientMetricsMiddleware, grayHopTraceClientMiddleware, grayHopTraceServerMiddleware, grayNiceClientStack, grayNiceServerStack,
  grayServerMetricsMiddleware, rollbackGuardClientMiddleware,
} from 'graylane/observe/nice-grpc';
import { HopDefinition, type HopClient, type HopReply, type HopRequest, type HopServiceImplementation } from '../../examples/shop/gen/nice/graylane/hop/v1/hop.js';
import { sumBy } from '../helpers/prom.js';

interface ServerFeeds { readonly registry: Registry; readonly service: string }
interface ClientFeeds { readonly registry: Registry; readonly guard?: RollbackGuard }

/** One way to install graylane on a nice-grpc hop: what the server and the client factory `use`. */
interface Install {
  readonly name: string;
  server(feeds: ServerFeeds): ServerMiddleware<GrayCallContextExt>[];
  client(feeds: ClientFeeds): ClientMiddleware[];
}

const INSTALLS: readonly Install[] = [
  {
    name: 'the single middleware, in the documented order',
    server: ({ registry, service }) => [
      grayServerMiddleware({ echoStage: true }) as ServerMiddleware<GrayCallContextExt>,
      grayServerMetricsMiddleware({ registry }) as ServerMiddleware<GrayCallContextExt>,
      grayHopTraceServerMiddleware({ service, instance: `${service}-1` }) as ServerMiddleware<GrayCallContextExt>,
    ],
    client: ({ registry, guard }) => [
      ...(guard === undefined ? [] : [rollbackGuardClientMiddleware(guard)]),
      grayHopTraceClientMiddleware(),
      grayClientMetricsMiddleware({ registry }),
      grayClientMiddleware(),
    ],
  },
  {
    name: 'grayNiceServerStack / grayNiceClientStack',
    server: ({ registry, service }) => [grayNiceServerStack({ echoStage: true, metrics: { registry }, hopTrace: { service, instance: `${service}-1` } })],
    client: ({ registry, guard }) => [grayNiceClientStack({ metrics: { registry }, hopTrace: true, guard })],
  },
];

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const now = (service: string, phase: string): string => {
  const ctx = getGrayContext();
  return `${service}/${phase}/${ctx?.stage ?? 'none'}/${ctx?.explicit ?? false}`;
};
const reply = (id: string, seen: string[]): HopReply => ({ id, hops: seen.map((phase) => ({ service: '', instance: '', stage: '', explicit: false, phase })) });
const phases = (replies: readonly HopReply[]): string[] => [...new Set(replies.flatMap((r) => r.hops.map((h) => h.phase)))].sort();

/** A Hop service recording the context at each phase, calling `down` (when given) with the same call type. */
function hop(service: string, down?: HopClient): HopServiceImplementation {
  return {
    async unary(req) {
      if (req.id.startsWith('fail')) throw new ServerError(Status.UNAVAILABLE, 'injected');
      const seen = [now(service, 'entry')];
      await tick();
      seen.push(now(service, 'after-await'));
      if (down !== undefined) seen.push(...(await down.unary(req)).hops.map((h) => h.phase), now(service, 'after-downstream'));
      return reply(req.id, seen);
    },
    async *serverStream(req) {
      const seen = [now(service, 'entry')];
      if (down !== undefined) for await (const r of down.serverStream(req)) seen.push(...r.hops.map((h) => h.phase), now(service, 'downstream-data'));
      yield reply(req.id, seen);
      yield reply(req.id, [now(service, 'after-yield')]);
    },
    async clientStream(requests) {
      const seen = [now(service, 'entry')];
      let id = '';
      for await (const r of requests) {
        id = r.id;
        seen.push(now(service, 'data'));
      }
      seen.push(now(service, 'end'));
      if (down !== undefined) seen.push(...(await down.clientStream(stream({ id, count: 0 }))).hops.map((h) => h.phase), now(service, 'after-downstream'));
      return reply(id, seen);
    },
    async *bidi(requests) {
      for await (const r of requests) {
        const seen = [now(service, 'data')];
        if (down !== undefined) for await (const d of down.bidi(stream(r))) seen.push(...d.hops.map((h) => h.phase), now(service, 'downstream-data'));
        yield reply(r.id, seen);
      }
    },
  };
}

interface World {
  readonly client: HopClient;
  readonly metrics: { readonly a: Registry; readonly b: Registry; readonly client: Registry; readonly aToB: Registry };
  readonly guard: RollbackGuard;
  readonly disabled: string[];
  close(): Promise<void>;
}

async function startWorld(install: Install): Promise<World> {
  const metrics = { a: new Registry(), b: new Registry(), client: new Registry(), aToB: new Registry() };
  const disabled: string[] = [];
  const guard = createRollbackGuard({ registry: { setStageDisabled: async (s: string, st: string, off: boolean) => { disabled.push(`${s}/${st}/${off}`); } }, service: 'A', minSamples: 4 });
  const factory = (feeds: ClientFeeds) => install.client(feeds).reduce((f, m) => f.use(m), createClientFactory() as ReturnType<typeof createClientFactory>);
  const serve = async (feeds: ServerFeeds, impl: HopServiceImplementation) => {
    const server = install.server(feeds).reduce((s, m) => s.use(m) as unknown as ReturnType<typeof createServer>, createServer());
    server.add(HopDefinition, impl);
    return { server, address: `127.0.0.1:${await server.listen('127.0.0.1:0')}` };
  };
  const b = await serve({ registry: metrics.b, service: 'B' }, hop('B'));
  const bChannel = createChannel(b.address);
  const a = await serve({ registry: metrics.a, service: 'A' }, hop('A', factory({ registry: metrics.aToB }).create(HopDefinition, bChannel)));
  const aChannel = createChannel(a.address);
  const client = factory({ registry: metrics.client, guard }).create(HopDefinition, aChannel);
  return {
    client, metrics, guard, disabled,
    async close() {
      aChannel.close();
      bChannel.close();
      a.server.forceShutdown();
      b.server.forceShutdown();
    },
  };
}

/** The requests as an async stream, a tick between them. */
async function* stream(...reqs: HopRequest[]): AsyncGenerator<HopRequest> {
  for (const r of reqs) {
    await tick();
    yield r;
  }
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Settles a unary call: its code, response header and trailer. */
async function settle(client: HopClient, req: HopRequest, metadata = Metadata()): Promise<{ code: Status; header?: Metadata; trailer?: Metadata }> {
  let header: Metadata | undefined;
  let trailer: Metadata | undefined;
  const opts = { metadata, onHeader: (h: Metadata) => { header = h; }, onTrailer: (t: Metadata) => { trailer = t; } };
  try {
    await client.unary(req, opts);
    return { code: Status.OK, header, trailer };
  } catch (e) {
    return { code: (e as { code: Status }).code, header, trailer };
  }
}

const canary = <T>(fn: () => Promise<T>): Promise<T> => runWithStage('canary', fn);

const BEHAVIOURS: ReadonlyArray<{ readonly name: string; run(world: World): Promise<unknown>; readonly expected: unknown }> = [
  {
    name: 'unary: both handlers see the context at entry, after await and after the downstream call',
    run: async ({ client }) => phases([await canary(() => client.unary({ id: 'u', count: 0 }))]),
    expected: ['A/after-await/canary/true', 'A/after-downstream/canary/true', 'A/entry/canary/true', 'B/after-await/canary/true', 'B/entry/canary/true'],
  },
  {
    name: 'server streaming: the context after each yield and in the downstream stream',
    run: async ({ client }) => phases(await canary(() => drain(client.serverStream({ id: 's', count: 1 })))),
    expected: ['A/after-yield/canary/true', 'A/downstream-data/canary/true', 'A/entry/canary/true', 'B/after-yield/canary/true', 'B/entry/canary/true'],
  },
  {
    name: 'client streaming: the context inside `for await` over the requests and after it',
    run: async ({ client }) => phases([await canary(() => client.clientStream(stream({ id: 'c1', count: 0 }, { id: 'c2', count: 0 })))]),
    expected: ['A/after-downstream/canary/true', 'A/data/canary/true', 'A/end/canary/true', 'A/entry/canary/true', 'B/data/canary/true', 'B/end/canary/true', 'B/entry/canary/true'],
  },
  {
    name: 'bidi: the context for each request and in the downstream stream',
    run: async ({ client }) => phases(await canary(() => drain(client.bidi(stream({ id: 'b1', count: 0 }, { id: 'b2', count: 0 }))))),
    expected: ['A/data/canary/true', 'A/downstream-data/canary/true', 'B/data/canary/true'],
  },
  {
    name: 'echoStage: the decided stage in the response header (the default stage for a call without one)',
    run: async ({ client }) => [(await canary(() => settle(client, { id: 'e', count: 0 }))).header?.get('x-release-stage'), (await settle(client, { id: 'e', count: 0 })).header?.get('x-release-stage')],
    expected: ['canary', 'stable'],
  },
  {
    name: 'a call failing before any response still returns its code and the hop trailer',
    run: async ({ client }) => {
      const { code, trailer } = await canary(() => settle(client, { id: 'fail', count: 0 }, Metadata({ 'x-gray-trace': '1' })));
      const trace = readHopTrace(trailer?.get(HOPS_TRAILER_KEY));
      return { code, hops: trace.status === 'ok' ? trace.hops.map((h) => `${h.service}@${h.stage}`) : trace.status };
    },
    expected: { code: Status.UNAVAILABLE, hops: ['A@canary'] },
  },
  {
    name: 'hop trace: a traced call returns every hop with the decided stage; an untraced one no trailer',
    run: async ({ client }) => {
      const traced = await canary(() => settle(client, { id: 't', count: 0 }, Metadata({ 'x-gray-trace': '1' })));
      const untraced = await canary(() => settle(client, { id: 'n', count: 0 }));
      const trace = readHopTrace(traced.trailer?.get(HOPS_TRAILER_KEY));
      return {
        traced: trace.status === 'ok' ? trace.hops.map((h) => `${h.depth}:${h.service}:${h.instance}:${h.stage}:${h.explicit}`) : trace.status,
        untraced: readHopTrace(untraced.trailer?.get(HOPS_TRAILER_KEY)).status,
      };
    },
    expected: { traced: ['0:A:A-1:canary:true', '1:B:B-1:canary:true'], untraced: 'absent' },
  },
  {
    name: 'metrics: each side counts calls by the decided stage, code and type',
    run: async ({ client, metrics }) => {
      for (let i = 0; i < 3; i++) await canary(() => client.unary({ id: `m${i}`, count: 0 }));
      for (let i = 0; i < 2; i++) await client.unary({ id: `n${i}`, count: 0 });
      for (let i = 0; i < 2; i++) await settle(client, { id: `fail${i}`, count: 0 }, Metadata({ 'x-release-stage': 'canary' }));
      await canary(() => drain(client.serverStream({ id: 'ms', count: 1 })));
      await settle(client, { id: 'junk', count: 0 }, Metadata({ 'x-release-stage': '../etc' }));
      const handled = (r: Registry, side: string, label: string, filter: Record<string, string> = {}) => sumBy(r, `grpc_${side}_handled_total`, label, filter);
      return {
        a: await handled(metrics.a, 'server', 'release_stage'),
        aCanaryCodes: await handled(metrics.a, 'server', 'grpc_code', { release_stage: 'canary' }),
        aTypes: await handled(metrics.a, 'server', 'grpc_type'),
        b: await handled(metrics.b, 'server', 'release_stage'),
        client: await handled(metrics.client, 'client', 'release_stage'),
        aToB: await handled(metrics.aToB, 'client', 'release_stage'),
      };
    },
    expected: {
      a: { canary: 6, stable: 3 },
      aCanaryCodes: { OK: 4, UNAVAILABLE: 2 },
      aTypes: { unary: 8, server_stream: 1 },
      b: { canary: 4, stable: 3 },
      client: { canary: 6, stable: 3 },
      aToB: { canary: 4, stable: 3 },
    },
  },
  {
    name: 'rollback guard: failing calls of its stage trip it (other stages do not count)',
    run: async ({ client, guard, disabled }) => {
      for (let i = 0; i < 4; i++) await settle(client, { id: `fail-s${i}`, count: 0 });
      const afterStable = guard.state;
      for (let i = 0; i < 4; i++) await canary(() => settle(client, { id: `fail-c${i}`, count: 0 }));
      await new Promise((r) => setTimeout(r, 20));
      return { afterStable, afterCanary: guard.state, disabled };
    },
    expected: { afterStable: 'watching', afterCanary: 'tripped', disabled: ['A/canary/true'] },
  },
  {
    name: 'keys the caller set win over the context',
    run: async ({ client }) => phases([await canary(() => client.unary({ id: 'k', count: 0 }, { metadata: Metadata({ 'x-release-stage': 'blue' }) }))]),
    expected: ['A/after-await/blue/true', 'A/after-downstream/blue/true', 'A/entry/blue/true', 'B/after-await/blue/true', 'B/entry/blue/true'],
  },
  {
    name: 'a call made outside any context goes out untagged and returns to no context',
    run: async ({ client }) => {
      await canary(() => client.unary({ id: 'opens-the-connection', count: 0 }));
      const replies = await drain(client.serverStream({ id: 'no-ctx', count: 1 }));
      return { after: getGrayContext()?.stage ?? 'none', phases: phases(replies) };
    },
    expected: { after: 'none', phases: ['A/after-yield/stable/false', 'A/downstream-data/stable/false', 'A/entry/stable/false', 'B/after-yield/stable/false', 'B/entry/stable/false'] },
  },
];

describe.each(INSTALLS)('nice-grpc with graylane installed as $name', (install) => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it.each(BEHAVIOURS)('$name', async ({ run, expected }) => {
    world = await startWorld(install);
    expect(await run(world)).toEqual(expected);
  });
});

describe('the order mistake grayNiceServerStack rules out', () => {
  async function recorded(use: (registry: Registry) => ServerMiddleware<GrayCallContextExt>[]): Promise<Record<string, number>> {
    const registry = new Registry();
    const server = use(registry).reduce((s, m) => s.use(m) as unknown as ReturnType<typeof createServer>, createServer());
    server.add(HopDefinition, hop('leaf'));
    const channel = createChannel(`127.0.0.1:${await server.listen('127.0.0.1:0')}`);
    try {
      await createClientFactory().create(HopDefinition, channel).unary({ id: 'x', count: 0 }, { metadata: Metadata({ 'x-release-stage': 'canary' }) });
      return await sumBy(registry, 'grpc_server_handled_total', 'release_stage');
    } finally {
      channel.close();
      server.forceShutdown();
    }
  }

  it('metrics used before grayServerMiddleware count a canary call as stable; the composer counts it as canary', async () => {
    expect(await recorded((registry) => [grayServerMetricsMiddleware({ registry }) as ServerMiddleware<GrayCallContextExt>, grayServerMiddleware()])).toEqual({ stable: 1 });
    expect(await recorded((registry) => [grayNiceServerStack({ metrics: { registry } })])).toEqual({ canary: 1 });
  });
});
