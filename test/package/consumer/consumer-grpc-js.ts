// Type-level consumer of the grpc-js subpaths (only @grpc/grpc-js installed): public names only,
// compiled with strict TypeScript against the tarball's .d.ts.
import { Metadata, Server } from '@grpc/grpc-js';
import { createGrayPolicy, getGrayContext, runWithStage, type GrayContext, type GrayPolicyOptions } from 'graylane';
import { forwardGrayMetadata, grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';

const options: GrayPolicyOptions = { stages: ['stable', 'canary'], aliases: ['x-canary-version'], onInvalid: (e) => void e.reason };
const policy = createGrayPolicy(options);
const server = new Server({ interceptors: [grayServerInterceptor({ policy, echoStage: true })] });
const interceptor = grayClientInterceptor({ overwrite: false });
const md: Metadata = runWithStage('canary', () => forwardGrayMetadata(undefined, new Metadata()));
const ctx: GrayContext | undefined = getGrayContext();
export { server, interceptor, md, ctx };

// Routing, HTTP edge and observe, as the README shows them.
import { createServer } from 'node:http';
import { createFileRegistry, createStaticRegistry, registerGrayRouting, type RegistryFileFormat } from 'graylane/routing';
import { grayHttpMiddleware } from 'graylane/http';
import { createRollbackGuard, type RollbackTripEvent } from 'graylane/observe';
import { rollbackGuardClientInterceptor } from 'graylane/observe/grpc-js';
import { rollbackGuardHttpMiddleware } from 'graylane/observe/http';

const yamlLike: RegistryFileFormat = { name: 'YAML', parse: (text: string) => JSON.parse(text) as unknown, stringify: (doc: unknown) => JSON.stringify(doc) };
const makeFileRegistry = (path: string) => createFileRegistry(path, { format: yamlLike, debounceMs: 50 });
const registry = createStaticRegistry([{ service: 'shop.Price', address: '127.0.0.1:50051', stage: 'canary' }]);
const routing = registerGrayRouting({ registry });
const guard = createRollbackGuard({ registry, service: 'shop.Price', registryRetryMs: 1000 });
guard.on('trip', (e: RollbackTripEvent) => void e.reason);
const stageDisabled: boolean = guard.stageDisabled;
const edge = grayHttpMiddleware({ trust: { tokenHeader: 'x-gray-token', tokens: ['qa'] } });
const feed = rollbackGuardHttpMiddleware(guard, { isFailure: (status) => status >= 500 });
const http = createServer((req, res) => edge(req, res, () => feed(req, res, () => res.end('ok'))));
const guardInterceptor = rollbackGuardClientInterceptor(guard);
export { makeFileRegistry, routing, stageDisabled, http, guardInterceptor };

// The observe and otel feeds for grpc-js, in the documented order.
import { grayHopTraceClientInterceptor, grayHopTraceServerInterceptor, rollbackGuardInterceptor, withHopTrace } from 'graylane/observe/grpc-js';
import { readHopTrace, type HopTrace } from 'graylane/observe';
import { grayBaggageClientInterceptor, grayBaggageResolve } from 'graylane/otel/grpc-js';
const traced = new Server({
  interceptors: [grayServerInterceptor({ policy, resolve: grayBaggageResolve({ policy }) }), grayHopTraceServerInterceptor({ service: 'orders', accept: (md: Metadata) => md.get('x-debug')[0] === 'yes' })],
});
const clientOptions = { interceptors: [grayClientInterceptor(), grayHopTraceClientInterceptor(), grayBaggageClientInterceptor({ baggageKey: 'lane' })] };
const trace: HopTrace = readHopTrace(withHopTrace());
const deprecatedGuard = rollbackGuardInterceptor(guard); // still there for 0.x users
// @ts-expect-error the hop trace needs a service name (proves the declarations resolved, not `any`)
grayHopTraceServerInterceptor({});
export { traced, clientOptions, trace, deprecatedGuard };
