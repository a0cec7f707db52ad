// Shared by orders and gateway: load one of the shop's .proto files (examples/shop/protos/) with
// @grpc/proto-loader. The shop's protos are example code and stay in the repository; graylane ships
// only the hop service's proto (graylane/protos/graylane/hop/v1/hop.proto).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('./protos', import.meta.url));

export function loadShopProto(file: string): any {
  return grpc.loadPackageDefinition(protoLoader.loadSync(`graylane/shop/v1/${file}`, { includeDirs: [ROOT], longs: Number, defaults: true }));
}
