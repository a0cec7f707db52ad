// gateway.ts: an HTTP gateway that colors requests and forwards the stage to a gRPC backend.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createColoringRules } from '../../src/index.js';
import { grayClientInterceptor } from '../../src/grpc-js/index.js';
import { grayHttpHandler } from '../../src/http/index.js';

// The demo Hop service shipped in graylane's protos/ (your own service works the same way).
const protos = process.env.GRAYLANE_PROTOS ?? 'node_modules/graylane/protos';
const definition = protoLoader.loadSync('graylane/hop/v1/hop.proto', { includeDirs: [protos] });
interface HopClient extends grpc.Client {
  unary(request: { id: string }, callback: (err: grpc.ServiceError | null, reply?: unknown) => void): void;
}
type HopConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => HopClient;
type HopPackage = { graylane: { hop: { v1: { Hop: HopConstructor } } } };
const { Hop } = (grpc.loadPackageDefinition(definition) as unknown as HopPackage).graylane.hop.v1;

// Every call made through this client carries the current request's stage (x-release-stage).
const backend = new Hop(process.env.BACKEND ?? '127.0.0.1:50051', grpc.credentials.createInsecure(), {
  interceptors: [grayClientInterceptor()],
});

// Coloring rules are plain data: first match wins; no match leaves the default stage ('stable').
const rules = createColoringRules([
  { name: 'qa team', stage: 'canary', match: { header: 'x-user-group', equals: 'qa' } },
  { name: '5% of users', stage: 'canary', rollout: { percent: 5, header: 'x-user-id' } },
]);

const handler = grayHttpHandler(
  (req, res) => {
    if (req.url === '/healthz') return void res.end('ok'); // never colored
    // Here, and in everything this handler awaits or calls back, the gray context is set.
    backend.unary({ id: req.url ?? '/' }, (err, reply) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(err ? { error: err.message } : reply));
    });
  },
  {
    rules,
    // A client-supplied stage is ignored unless it comes with this secret (for QA and testers).
    trust: { tokenHeader: 'x-gray-token', tokens: [process.env.GRAY_TOKEN ?? 'change-me'] },
    aliases: ['x-canary-version'], // also read the stage from X-Canary-Version
    echoStage: true, // answer with x-release-stage: <stage>
  },
);

const server = http.createServer(handler);
server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  console.log(`gateway listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
