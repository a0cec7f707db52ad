// `graylane trace` from the installed package: one Hop service with the hop trace on, traced by the
// installed command. Prints {code, stdout} of the command as JSON.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { getReleaseStage } from 'graylane';
import { grayServerInterceptor } from 'graylane/grpc-js';
import { grayHopTraceServerInterceptor } from 'graylane/observe/grpc-js';

const bin = process.env.GRAYLANE_BIN ?? 'node_modules/.bin/graylane';
const file = createRequire(import.meta.url).resolve('graylane/protos/graylane/hop/v1/hop.proto');
const Hop = grpc.loadPackageDefinition(protoLoader.loadSync(file)).graylane.hop.v1.Hop;
const server = new grpc.Server({ interceptors: [grayServerInterceptor(), grayHopTraceServerInterceptor({ service: 'hop', instance: 'hop-1' })] });
server.addService(Hop.service, {
  Unary(call, cb) { cb(null, { id: call.request.id, hops: [{ service: 'hop', stage: getReleaseStage() }] }); },
});
const port = await new Promise((ok, fail) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
try {
  const result = await promisify(execFile)(bin, ['trace', `127.0.0.1:${port}`, '--method', '/graylane.hop.v1.Hop/Unary', '--stage', 'canary'], { timeout: 30_000 })
    .then((r) => ({ code: 0, stdout: r.stdout }), (e) => ({ code: e.code, stdout: e.stdout }));
  console.log(JSON.stringify(result));
} finally {
  server.forceShutdown();
}
