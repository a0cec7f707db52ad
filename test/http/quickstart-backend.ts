// backend.ts: an internal gRPC hop; it trusts the stage its callers send and sees it in every handler.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { getGrayContext } from '../../src/index.js';
import { grayServerInterceptor } from '../../src/grpc-js/index.js';

const protos = process.env.GRAYLANE_PROTOS ?? 'node_modules/graylane/protos';
const definition = protoLoader.loadSync('graylane/hop/v1/hop.proto', { includeDirs: [protos] });
type HopPackage = { graylane: { hop: { v1: { Hop: grpc.ServiceClientConstructor } } } };
const { Hop } = (grpc.loadPackageDefinition(definition) as unknown as HopPackage).graylane.hop.v1;

const server = new grpc.Server({ interceptors: [grayServerInterceptor()] });
server.addService(Hop.service, {
  unary(call: grpc.ServerUnaryCall<{ id: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
    const ctx = getGrayContext(); // { stage, explicit, entries }
    const hop = { service: 'backend', instance: 'b1', stage: ctx?.stage, explicit: ctx?.explicit, phase: 'entry' };
    callback(null, { id: call.request.id, hops: [hop] });
  },
});
server.bindAsync(process.env.BACKEND ?? '127.0.0.1:50051', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  console.log(`backend listening on 127.0.0.1:${port}`);
});
