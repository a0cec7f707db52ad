// Type-level consumer of graylane/connect (only @connectrpc/connect installed): public names only,
// compiled with strict TypeScript against the tarball's .d.ts.
import type { Interceptor } from '@connectrpc/connect';
import { runWithStage } from 'graylane';
import { forwardGrayMetadata, getCallGrayContext, grayClientInterceptor, grayServerInterceptor, type GrayConnectServerOptions } from 'graylane/connect';

const options: GrayConnectServerOptions = { trustIncoming: true, stages: ['stable', 'canary'] };
const server: Interceptor = grayServerInterceptor(options);
const client: Interceptor = grayClientInterceptor();
const headers: Headers = runWithStage('canary', () => forwardGrayMetadata());
const none = getCallGrayContext(undefined as never);
// @ts-expect-error interceptors are Connect interceptors (proves @connectrpc/connect's types resolved, not `any`)
const wrong: Interceptor = 'not an interceptor';
export { server, client, headers, none, wrong };
