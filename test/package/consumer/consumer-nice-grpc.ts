// Type-level consumer of the nice-grpc subpaths (only nice-grpc-common installed): public names
// only, compiled with strict TypeScript against the tarball's .d.ts.
import type { ClientMiddleware, ServerMiddleware } from 'nice-grpc-common';
import { createRollbackGuard } from 'graylane/observe';
import { forwardGrayMetadata, grayClientMiddleware, grayServerMiddleware } from 'graylane/nice-grpc';
import {
  grayClientMetricsMiddleware, grayHopTraceClientMiddleware, grayHopTraceServerMiddleware, rollbackGuardClientMiddleware,
  type GrayGrpcMetricsOptions,
} from 'graylane/observe/nice-grpc';

const server: ServerMiddleware[] = [grayServerMiddleware(), grayHopTraceServerMiddleware({ service: 'inventory', accept: (md) => md.get('x-debug') === 'yes' })];
const guard = createRollbackGuard({ registry: { setStageDisabled: async () => {} }, service: 'pricing' });
const client: ClientMiddleware[] = [rollbackGuardClientMiddleware(guard), grayHopTraceClientMiddleware({ trace: true }), grayClientMiddleware()];
const metrics = (options: GrayGrpcMetricsOptions): ClientMiddleware => grayClientMetricsMiddleware(options);
const md = forwardGrayMetadata();
// @ts-expect-error the hop trace needs a service name (proves the declarations resolved, not `any`)
grayHopTraceServerMiddleware({});
export { server, client, metrics, md };
