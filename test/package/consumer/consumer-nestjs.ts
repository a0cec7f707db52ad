// Type-level consumer of graylane/nestjs (Nest, rxjs and @grpc/grpc-js installed): public names only,
// compiled with strict TypeScript against the tarball's .d.ts.
import { Transport } from '@nestjs/microservices';
import { of, type Observable } from 'rxjs';
import { runWithStage, getGrayContext } from 'graylane';
import { GrayModule, withGrayContext, withGrayGrpcClient, withGrayGrpcServer } from 'graylane/nestjs';

const server = withGrayGrpcServer({ transport: Transport.GRPC, options: { package: 'graylane.hop.v1', protoPath: 'hop.proto', url: '127.0.0.1:0' } });
const client = withGrayGrpcClient({ transport: Transport.GRPC, options: { package: 'graylane.hop.v1', protoPath: 'hop.proto', url: '127.0.0.1:50051' } });
const module = GrayModule.forRoot({ trust: { tokenHeader: 'x-gray-token', tokens: ['t'] } });
const piped: Observable<number> = runWithStage('canary', () => of(1).pipe(withGrayContext(getGrayContext())));
// @ts-expect-error withGrayContext takes a GrayContext (proves the declarations resolved, not `any`)
withGrayContext('canary');
export { server, client, module, piped };
