import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { GrayConfigError, createGrayPolicy } from '../../src/index.js';
import { assertGrayRouting, createStaticRegistry, registerGrayRouting, type GrpcModule } from '../../src/routing/index.js';
import { createResolverClass } from '../../src/routing/resolver.js';
import type { RoutingEntry } from '../../src/routing/routing-table.js';
import { PROTO_ROOT, type HopClientConstructor } from '../helpers/grpc.js';
import { closeAll, startHop, type HopInstance } from './hop-fleet.js';

const require = createRequire(import.meta.url);
// The *other* installed grpc-js: 1.10 when the suite runs on 1.14, and 1.14 when it runs on an older alias.
const aliased = process.env.GRAYLANE_GRPC_JS_ALIAS;
const other = (aliased ? require('@grpc/grpc-js') : require('grpc-js-lowest')) as GrpcModule;

describe('registerGrayRouting', () => {
  const fleet: HopInstance[] = [];
  afterAll(() => closeAll(fleet));

  it('runs against the intended grpc-js (the alias under vitest.lowest.config.ts, else 1.14)', () => {
    const name = aliased ?? '@grpc/grpc-js';
    const version = (require(`${name}/package.json`) as { version: string }).version;
    const expected = process.env.GRAYLANE_EXPECT_GRPC_JS;
    expect(version.startsWith(expected ? `${expected}.` : '1.')).toBe(true);
    // The module src/ and these tests import is that very copy, and it is not the other one.
    expect((require(name) as GrpcModule).Metadata).toBe(grpc.Metadata);
    expect(other.Metadata).not.toBe(grpc.Metadata);
  });

  it('is idempotent for the same registry and refuses a different one until closed', () => {
    const registry = createStaticRegistry();
    const a = registerGrayRouting({ registry, scheme: 'idem' });
    const b = registerGrayRouting({ registry, scheme: 'idem' });
    expect(b.scheme).toBe('idem');
    expect(b.target('svc')).toBe('idem:///svc');
    expect(() => registerGrayRouting({ registry: createStaticRegistry(), scheme: 'idem' })).toThrow(/already routed with a different registry/);
    expect(() => registerGrayRouting({ registry, scheme: 'idem', policy: createGrayPolicy({ defaultStage: 'v1' }) })).toThrow(GrayConfigError);
    a.close();
    expect(registerGrayRouting({ registry: createStaticRegistry(), scheme: 'idem' }).scheme).toBe('idem');
  });

  it('rejects misconfiguration with GrayConfigError saying what to fix', () => {
    expect(() => registerGrayRouting(undefined as never)).toThrow(GrayConfigError);
    expect(() => registerGrayRouting({} as never)).toThrow(/`registry` is required/);
    expect(() => registerGrayRouting({ registry: createStaticRegistry(), scheme: 'Bad Scheme' })).toThrow(/not a usable URI scheme/);
    expect(() => registerGrayRouting({ registry: createStaticRegistry(), scheme: 'dns' })).toThrow(GrayConfigError);
    expect(() => registerGrayRouting({ registry: createStaticRegistry(), grpc: {} as GrpcModule })).toThrow(/needs @grpc\/grpc-js >= 1.10/);
    expect(() => registerGrayRouting({ registry: createStaticRegistry(), scheme: 'neg', reresolveIntervalMs: -1 })).toThrow(/reresolveIntervalMs/);
    expect(() => createStaticRegistry([{ service: 'a b', address: '127.0.0.1:1', stage: 'stable' }])).toThrow(/service "a b"/);
    expect(() => createStaticRegistry([{ service: 'a', address: '127.0.0.1', stage: 'stable' }])).toThrow(/host:port/);
    expect(() => createStaticRegistry([{ service: 'a', address: '127.0.0.1:1', stage: 'stable', weight: 0 }])).toThrow(/weight/);
    expect(() => createStaticRegistry([], { a: { fallback: 'loose' as never } })).toThrow(/'permissive' or 'strict'/);
  });

  it('fails loudly for a grpc-js copy it was not registered on, and routes on that copy once registered there', async () => {
    registerGrayRouting({ registry: createStaticRegistry(), scheme: 'local' });
    expect(() => assertGrayRouting(grpc as unknown as GrpcModule)).not.toThrow();
    expect(other).not.toBe(grpc);
    expect(() => assertGrayRouting(other)).toThrow(/not registered on this @grpc\/grpc-js copy/);
    const inst = await startHop('x', 'canary-x', 'canary');
    const stable = await startHop('x', 'stable-x', 'stable');
    fleet.push(inst, stable);
    const registry = createStaticRegistry([inst, stable].map((h) => ({ service: 'x', address: h.address, stage: h.stage })));
    registerGrayRouting({ registry, grpc: other, scheme: 'othercopy' });
    expect(() => assertGrayRouting(other)).not.toThrow();
    const def = protoLoader.loadSync('graylane/hop/v1/hop.proto', { includeDirs: [PROTO_ROOT], defaults: true });
    const pkg = other.loadPackageDefinition(def) as unknown as { graylane: { hop: { v1: { Hop: HopClientConstructor } } } };
    const client = new pkg.graylane.hop.v1.Hop('othercopy:///x', other.credentials.createInsecure() as never);
    try {
      const call = (stage?: string): Promise<string> => {
        const md = new other.Metadata(); // metadata of the copy the client belongs to
        if (stage !== undefined) md.set('x-release-stage', stage);
        return new Promise((resolve, reject) =>
          client.unary({ id: '1' }, md as never, { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r!.hops[0]!.instance))),
        );
      };
      expect(await call('canary')).toBe('canary-x');
      expect(await call()).toBe('stable-x');
    } finally {
      client.close();
    }
  });

  it('answers repeated re-resolution requests at most once per interval, never synchronously', async () => {
    const registry = createStaticRegistry([{ service: 's', address: '127.0.0.1:1', stage: 'stable' }]);
    const entry: RoutingEntry = { id: -1, scheme: 'rate', registry, policy: createGrayPolicy(), reresolveIntervalMs: 100, subset: undefined, closed: false, subscriptions: new Set() };
    const Resolver = createResolverClass(grpc as unknown as GrpcModule, () => entry, 'rate');
    let deliveries = 0;
    const listener = Object.assign(() => (deliveries++, true), { onSuccessfulResolution: () => void deliveries++, onError: () => void deliveries++ });
    const resolver = new Resolver({ scheme: 'rate', authority: '', path: 's' }, listener as never, {});
    const start = performance.now();
    let calls = 0;
    while (performance.now() - start < 350 && calls < 1_000_000) {
      resolver.updateResolution();
      if (calls++ === 0) expect(deliveries).toBe(0);
      if (calls % 1000 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 150));
    resolver.destroy();
    expect(calls).toBeGreaterThan(1000);
    expect(deliveries).toBeGreaterThanOrEqual(2);
    expect(deliveries).toBeLessThanOrEqual(6);
  });

  it('importing graylane/routing does not load etcd3', () => {
    const script = "import('./src/routing/index.ts').then(() => { const m = require('node:module'); process.stdout.write(String(Object.keys(m._cache).some((k) => k.includes('/etcd3/')))); })";
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: process.cwd(), encoding: 'utf8', timeout: 20_000 });
    expect(out).toBe('false');
  });
});
