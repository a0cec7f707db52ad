/**
 * The contract of the README's install table: the optional peers each public subpath needs at
 * import time. Shared by the import-graph test and the packed-tarball test.
 */
export const SUBPATH_PEERS: Readonly<Record<string, readonly string[]>> = {
  graylane: [],
  'graylane/grpc-js': ['@grpc/grpc-js'],
  'graylane/nice-grpc': ['nice-grpc-common'],
  'graylane/http': [],
  // etcd3 is loaded by createEtcdRegistry only.
  'graylane/routing': ['@grpc/grpc-js'],
  // prom-client is loaded by the metrics factories only; pino never (pass the mixin to your logger).
  'graylane/observe': [],
  'graylane/observe/grpc-js': ['@grpc/grpc-js'],
  'graylane/observe/nice-grpc': ['nice-grpc-common'],
  'graylane/observe/http': [],
  'graylane/otel': ['@opentelemetry/api'],
  'graylane/otel/grpc-js': ['@grpc/grpc-js'],
  // Connect, amqplib and the OpenFeature SDK are used for their types only: nothing loads at import time.
  'graylane/connect': [],
  'graylane/nestjs': ['@grpc/grpc-js', '@nestjs/common', '@nestjs/core', 'rxjs'],
  'graylane/amqp': [],
  // bullmq brings ioredis itself.
  'graylane/nats': ['nats'],
  'graylane/bullmq': ['bullmq'],
  'graylane/ops': [],
  'graylane/openfeature': [],
  // etcd3 is loaded by createEtcdRegistry only (the rollout itself takes any registry).
  'graylane/rollout': [],
};
