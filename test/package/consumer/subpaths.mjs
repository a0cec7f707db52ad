// With only @grpc/grpc-js and @grpc/proto-loader installed: which subpaths load, and does any pull in etcd3?
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const result = {};
for (const name of ['graylane', 'graylane/grpc-js', 'graylane/http', 'graylane/routing', 'graylane/observe', 'graylane/nice-grpc', 'graylane/observe/nice-grpc', 'graylane/otel']) {
  try {
    const mod = await import(name);
    result[name] = Object.keys(mod).length > 0 ? 'ok' : 'empty';
  } catch (e) {
    result[name] = e.code ?? e.name;
  }
}
let etcd3 = 'not installed';
try { require.resolve('etcd3'); etcd3 = 'installed'; } catch { /* expected */ }
console.log(JSON.stringify({ result, etcd3 }));
