// Type-level consumer: public names only, compiled with strict TypeScript against the tarball's .d.ts.
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
