/**
 * grayGrpcServerStack / grayGrpcClientStack: one table of behaviours, run against the single
 * interceptors in the documented order and against the fused composers — every row must give the
 * same, expected result on both installs. Real servers: client → A → B.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { GrayConfigError } from 'graylane';
import { getGrayContext, runWithStage } from 'graylane';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import { createRollbackGuard, readHopTrace, type RollbackGuard } from 'graylane/observe';
import {
  grayClientMetricsInterceptor, grayGrpcClientStack, grayGrpcServerStack, grayHopTraceClientInterceptor, grayHopTraceServerInterceptor,
  grayServerMetricsInterceptor, rollbackGuardClientInterceptor, withHopTrace,
} from 'graylane/observe/grpc-js';
import { collect, hopClient, startServer, unary, type HopClient, type HopRecord, type HopReply, type HopRequest, type RunningServer } from '../helpers/grpc.js';
import { hopImpl } from '../helpers/hop-service.js';
import { sumBy } from '../helpers/prom.js';
import { stageMetadata, unaryWithStatus } from './chain.js';

interface ServerFeeds { readonly registry: Registry; readonly service: string }
interface ClientFeeds { readonly registry: Registry; readonly guard?: RollbackGuard }

/** One way to install graylane: the server interceptors and the client interceptors of a hop. */
interface Install {
  readonly name: string;
  server(feeds: ServerFeeds): grpc.ServerInterceptor[];
  client(feeds: ClientFeeds): grpc.Interceptor[];
}

const INSTALLS: readonly Install[] = [
  {
    name: 'the single interceptors, in the documented order',
    server: ({ registry, service }) => [
      grayServerInterceptor({ echoStage: true }),
      grayServerMetricsInterceptor({ registry }),
      grayHopTraceServerInterceptor({ service, instance: `${service}-1` }),
    ],
    client: ({ registry, guard }) => [
      grayClientInterceptor(),
      grayClientMetricsInterceptor({ registry }),
      grayHopTraceClientInterceptor(),
      ...(guard === undefined ? [] : [rollbackGuardClientInterceptor(guard)]),
    ],
  },
  {
    name: 'grayGrpcServerStack / grayGrpcClientStack (one fused interceptor per side)',
    server: ({ registry, service }) => [grayGrpcServerStack({ echoStage: true, metrics: { registry }, hopTrace: { service, instance: `${service}-1` } })],
    client: ({ registry, guard }) => [grayGrpcClientStack({ metrics: { registry }, hopTrace: true, guard })],
  },
];

/** The Hop service, failing unary calls whose id starts with `fail` before sending anything (trailers-only). */
function failing(impl: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
  const unaryImpl = impl['unary'] as grpc.handleUnaryCall<HopRequest, HopReply>;
  return {
    ...impl,
    unary(call: grpc.ServerUnaryCall<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
      if (call.request.id.startsWith('fail')) return cb({ code: grpc.status.UNAVAILABLE, details: 'injected' });
      unaryImpl(call, cb);
    },
  };
}

/** client → A → B, each hop installed the same way; a registry per side; a guard watching A's canary. */
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
  const target = { setStageDisabled: async (service: string, stage: string, off: boolean) => { disabled.push(`${service}/${stage}/${off}`); } };
  const guard = createRollbackGuard({ registry: target, service: 'A', minSamples: 4 });
  const servers: RunningServer[] = [];
  servers.push(await startServer(failing(hopImpl('B')), { interceptors: install.server({ registry: metrics.b, service: 'B' }) }));
  const aToB = hopClient(servers[0]!.address, { interceptors: install.client({ registry: metrics.aToB }) });
  servers.push(await startServer(failing(hopImpl('A', { client: aToB, mode: 'interceptor' })), { interceptors: install.server({ registry: metrics.a, service: 'A' }) }));
  const client = hopClient(servers[1]!.address, { interceptors: install.client({ registry: metrics.client, guard }) });
  return {
    client, metrics, guard, disabled,
    async close() {
      client.close();
      aToB.close();
      for (const s of servers) await s.close();
    },
  };
}

/** `service/phase/stage/explicit` of every record, sorted, duplicates dropped. */
function seen(hops: readonly HopRecord[]): string[] {
  return [...new Set(hops.map((h) => `${h.service}/${h.phase}/${h.stage}/${h.explicit}`))].sort();
}

/** The response headers and final status of a unary call. */
function unaryHeaders(client: HopClient, id: string, md = new grpc.Metadata()): Promise<{ headers: grpc.Metadata; status: grpc.StatusObject }> {
  return new Promise((resolve) => {
    let headers = new grpc.Metadata();
    const call = client.unary({ id }, md, () => {});
    call.on('metadata', (h: grpc.Metadata) => { headers = h; });
    call.on('status', (status: grpc.StatusObject) => setImmediate(() => resolve({ headers, status })));
  });
}

const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Behaviour {
  readonly name: string;
  run(world: World): Promise<unknown>;
  readonly expected: unknown;
}

const BEHAVIOURS: readonly Behaviour[] = [
  {
    name: 'unary: the handler of each hop sees the context at entry, after await and in the downstream callback',
    run: async ({ client }) => seen((await runWithStage('canary', () => unary(client, { id: 'u' }))).hops),
    expected: ['A/after-await/canary/true', 'A/downstream-callback/canary/true', 'A/entry/canary/true', 'B/after-await/canary/true', 'B/entry/canary/true'],
  },
  {
    name: 'server streaming: the context at entry, after await and in the downstream \'data\' events',
    run: async ({ client }) => seen((await runWithStage('canary', () => collect<HopReply>(client.serverStream({ id: 's', count: 2 })))).flatMap((r) => r.hops)),
    expected: ['A/after-await/canary/true', 'A/downstream-data/canary/true', 'A/entry/canary/true', 'B/after-await/canary/true', 'B/entry/canary/true'],
  },
  {
    name: 'client streaming: the context in the request stream\'s \'data\' and \'end\' events',
    run: ({ client }) => runWithStage('canary', () => new Promise((resolve, reject) => {
      const call = client.clientStream((err, reply) => (err ? reject(err) : resolve(seen(reply!.hops))));
      call.write({ id: 'c1' });
      call.write({ id: 'c2' });
      call.end();
    })),
    expected: [
      'A/after-await/canary/true', 'A/data/canary/true', 'A/downstream-callback/canary/true', 'A/end/canary/true', 'A/entry/canary/true',
      'B/after-await/canary/true', 'B/data/canary/true', 'B/end/canary/true', 'B/entry/canary/true',
    ],
  },
  {
    name: 'bidi: the context in both directions\' \'data\' events',
    run: ({ client }) => runWithStage('canary', async () => {
      const call = client.bidi();
      const replies = collect<HopReply>(call);
      call.write({ id: 'b1' });
      call.write({ id: 'b2' });
      call.end();
      return seen((await replies).flatMap((r) => r.hops));
    }),
    expected: ['A/downstream-data/canary/true', 'A/entry/canary/true', 'B/data/canary/true', 'B/entry/canary/true'],
  },
  {
    name: 'echoStage: the decided stage in the response headers (the default stage for a call without one)',
    run: async ({ client }) => {
      const canary = await runWithStage('canary', () => unaryHeaders(client, 'e1'));
      const none = await unaryHeaders(client, 'e2');
      return [canary.headers.get('x-release-stage'), none.headers.get('x-release-stage')];
    },
    expected: [['canary'], ['stable']],
  },
  {
    name: 'a trailers-only reply carries the echoed stage and the hop trailer',
    run: async ({ client }) => {
      const { status } = await runWithStage('canary', () => unaryHeaders(client, 'fail-1', withHopTrace()));
      const trace = readHopTrace(status);
      return { code: status.code, echo: status.metadata.get('x-release-stage'), hops: trace.status === 'ok' ? trace.hops.map((h) => `${h.service}@${h.stage}`) : trace.status };
    },
    expected: { code: grpc.status.UNAVAILABLE, echo: ['canary'], hops: ['A@canary'] },
  },
  {
    name: 'hop trace: a traced call returns every hop with the decided stage; an untraced one no trailer',
    run: async ({ client }) => {
      const traced = await runWithStage('canary', () => unaryWithStatus(client, { id: 't' }, withHopTrace()));
      const trace = readHopTrace(traced.status);
      const untraced = await runWithStage('canary', () => unaryWithStatus(client, { id: 'n' }));
      return {
        traced: trace.status === 'ok' ? trace.hops.map((h) => `${h.depth}:${h.service}:${h.instance}:${h.stage}:${h.explicit}`) : trace.status,
        untraced: readHopTrace(untraced.status).status,
      };
    },
    expected: { traced: ['0:A:A-1:canary:true', '1:B:B-1:canary:true'], untraced: 'absent' },
  },
  {
    name: 'metrics: each side counts calls by the decided stage, code and type',
    run: async ({ client, metrics }) => {
      for (let i = 0; i < 3; i++) await runWithStage('canary', () => unary(client, { id: `m${i}` }));
      for (let i = 0; i < 2; i++) await unary(client, { id: `n${i}` });
      for (let i = 0; i < 2; i++) await unaryWithStatus(client, { id: `fail${i}` }, stageMetadata('canary'));
      await runWithStage('canary', () => collect(client.serverStream({ id: 'ms', count: 1 })));
      await unaryWithStatus(client, { id: 'junk' }, stageMetadata('../etc'));
      await tick();
      const handled = (r: Registry, side: string, label: string, filter: Record<string, string> = {}): Promise<Record<string, number>> =>
        sumBy(r, `grpc_${side}_handled_total`, label, filter);
      return {
        a: await handled(metrics.a, 'server', 'release_stage'),
        aCanaryCodes: await handled(metrics.a, 'server', 'grpc_code', { release_stage: 'canary' }),
        aTypes: await handled(metrics.a, 'server', 'grpc_type'),
        b: await handled(metrics.b, 'server', 'release_stage'),
        client: await handled(metrics.client, 'client', 'release_stage'),
        aToB: await handled(metrics.aToB, 'client', 'release_stage'),
        aSeconds: await sumBy(metrics.a, 'grpc_server_handling_seconds', 'release_stage'),
      };
    },
    expected: {
      a: { canary: 6, stable: 3 },
      aCanaryCodes: { OK: 4, UNAVAILABLE: 2 },
      aTypes: { unary: 8, server_stream: 1 },
      b: { canary: 4, stable: 3 },
      // The client labels what it sent: the malformed stage is the default stage there too.
      client: { canary: 6, stable: 3 },
      aToB: { canary: 4, stable: 3 },
      aSeconds: { canary: 6, stable: 3 },
    },
  },
  {
    name: 'rollback guard: failing calls of its stage trip it (other stages and cancels do not count)',
    run: async ({ client, guard, disabled }) => {
      for (let i = 0; i < 4; i++) await unaryWithStatus(client, { id: `fail-s${i}` });
      const afterStable = guard.state;
      for (let i = 0; i < 4; i++) await runWithStage('canary', () => unaryWithStatus(client, { id: `fail-c${i}` }));
      await tick();
      return { afterStable, afterCanary: guard.state, disabled };
    },
    expected: { afterStable: 'watching', afterCanary: 'tripped', disabled: ['A/canary/true'] },
  },
  {
    name: 'hostile metadata: a joined stage reads as its first value; prototype-named keys change nothing',
    run: async ({ client }) => {
      const md = stageMetadata('canary, beta', { '__proto__': 'x', constructor: 'y', 'x-gray-trace': 'yes' });
      const { reply, status } = await unaryWithStatus(client, { id: 'h' }, md);
      return { hops: seen(reply!.hops), trace: readHopTrace(status).status };
    },
    expected: {
      hops: ['A/after-await/canary/true', 'A/downstream-callback/canary/true', 'A/entry/canary/true', 'B/after-await/canary/true', 'B/entry/canary/true'],
      trace: 'absent',
    },
  },
  {
    name: 'keys the caller set win over the context',
    run: async ({ client }) => seen((await runWithStage('canary', () => unary(client, { id: 'k' }, stageMetadata('blue')))).hops),
    expected: ['A/after-await/blue/true', 'A/downstream-callback/blue/true', 'A/entry/blue/true', 'B/after-await/blue/true', 'B/entry/blue/true'],
  },
  {
    name: 'a call made outside any context runs its stream events with none, even on a connection a canary call opened',
    run: async ({ client }) => {
      await runWithStage('canary', () => unary(client, { id: 'opens-the-connection' }));
      // From a timer: a fresh async context no request started.
      return new Promise((resolve, reject) => setTimeout(() => {
        const events: string[] = [];
        const hops: HopRecord[] = [];
        const call = client.serverStream({ id: 'no-ctx', count: 1 });
        call.on('data', (reply: HopReply) => {
          events.push(`data:${getGrayContext()?.stage ?? 'none'}`);
          hops.push(...reply.hops);
        });
        call.on('error', reject);
        call.on('status', () => resolve({ events: [...events, `status:${getGrayContext()?.stage ?? 'none'}`], hops: seen(hops) }));
      }, 1));
    },
    expected: {
      events: ['data:none', 'status:none'],
      hops: ['A/after-await/stable/false', 'A/downstream-data/stable/false', 'A/entry/stable/false', 'B/after-await/stable/false', 'B/entry/stable/false'],
    },
  },
];

describe.each(INSTALLS)('graylane installed as $name', (install) => {
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

describe('the order mistake the composer rules out', () => {
  /** A leaf server installed with `interceptors`, sent one traced canary call: what metrics and the trace recorded. */
  async function recorded(interceptors: (registry: Registry) => grpc.ServerInterceptor[]): Promise<{ metrics: Record<string, number>; hop: string }> {
    const registry = new Registry();
    const server = await startServer(hopImpl('leaf'), { interceptors: interceptors(registry) });
    const client = hopClient(server.address);
    try {
      const { status } = await unaryWithStatus(client, { id: 'x' }, withHopTrace(stageMetadata('canary')));
      const trace = readHopTrace(status);
      return {
        metrics: await sumBy(registry, 'grpc_server_handled_total', 'release_stage'),
        hop: trace.status === 'ok' ? `${trace.hops[0]!.stage}/${trace.hops[0]!.explicit}` : trace.status,
      };
    } finally {
      client.close();
      await server.close();
    }
  }

  it('feeds listed before grayServerInterceptor record the default stage for a canary call; the composer records canary', async () => {
    const misordered = await recorded((registry) => [
      grayServerMetricsInterceptor({ registry }),
      grayHopTraceServerInterceptor({ service: 'leaf' }),
      grayServerInterceptor(),
    ]);
    expect(misordered).toEqual({ metrics: { stable: 1 }, hop: 'stable/false' });
    const composed = await recorded((registry) => [grayGrpcServerStack({ metrics: { registry }, hopTrace: { service: 'leaf' } })]);
    expect(composed).toEqual({ metrics: { canary: 1 }, hop: 'canary/true' });
  });

  it('the feeds default to the context\'s policy: a custom default stage and allowlist label the metrics without repeating them', async () => {
    const policyOptions = { stages: ['prod', 'canary', 'blue'], defaultStage: 'prod' };
    const registry = new Registry();
    const server = await startServer(hopImpl('leaf'), { interceptors: [grayGrpcServerStack({ ...policyOptions, metrics: { registry } })] });
    const client = hopClient(server.address);
    try {
      for (const stage of [undefined, 'blue', 'canary', 'v9']) await unaryWithStatus(client, { id: 'p' }, stageMetadata(stage));
      // The single metrics interceptor would need `policy` again: without it, 'prod' and 'blue' are `other`.
      expect(await sumBy(registry, 'grpc_server_handled_total', 'release_stage')).toEqual({ prod: 2, blue: 1, canary: 1 });
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('grayGrpcServerStack / grayGrpcClientStack options', () => {
  it('misconfiguration throws GrayConfigError at construction, naming what to fix', () => {
    expect(() => grayGrpcServerStack({ metrics: {} as never })).toThrow(/registry/);
    expect(() => grayGrpcServerStack({ hopTrace: { service: 'bad name' } })).toThrow(GrayConfigError);
    expect(() => grayGrpcServerStack({ hopTrace: { service: 'ok', accept: 'yes' as never } })).toThrow(GrayConfigError);
    expect(() => grayGrpcServerStack({ stages: ['stable'], defaultStage: 'canary' })).toThrow(GrayConfigError);
    expect(() => grayGrpcClientStack({ metrics: { registry: new Registry(), buckets: [2, 1] } })).toThrow(GrayConfigError);
    expect(() => grayGrpcClientStack({ guard: {} as never })).toThrow(/createRollbackGuard/);
    expect(() => grayGrpcClientStack({ guard: null as never })).toThrow(GrayConfigError);
    const guard = createRollbackGuard({ registry: { setStageDisabled: async () => {} }, service: 's' });
    expect(() => grayGrpcClientStack({ guard: { guard, isFailure: 1 as never } })).toThrow(/isFailure/);
    expect(() => grayGrpcClientStack({ guard, hopTrace: true, metrics: { registry: new Registry() } })).not.toThrow();
  });
});
