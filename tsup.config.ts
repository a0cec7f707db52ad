import { defineConfig } from 'tsup';

// One entry per public subpath; ESM and CJS share chunks so each copy of the core exists once per format.
// Frameworks are peers: never bundled. Only src/ is built; examples/ (the shop, its generated code) never is.
const external = [/^@grpc\//, /^@connectrpc\//, /^@bufbuild\//, 'hono', /^hono\//, /^@hono\//, /^nice-grpc/, /^@opentelemetry\//, /^@openfeature\//, 'etcd3', 'pino', 'prom-client', 'fastify', 'express', /^@nestjs\//, /^rxjs(\/|$)/, 'reflect-metadata', 'amqplib', 'nats', 'bullmq', 'ioredis'];

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'grpc-js/index': 'src/grpc-js/index.ts',
      'nice-grpc/index': 'src/nice-grpc/index.ts',
      'http/index': 'src/http/index.ts',
      'connect/index': 'src/connect/index.ts',
      'routing/index': 'src/routing/index.ts',
      'observe/index': 'src/observe/index.ts',
      'observe/grpc-js/index': 'src/observe/grpc-js/index.ts',
      'observe/nice-grpc/index': 'src/observe/nice-grpc/index.ts',
      'observe/http/index': 'src/observe/http/index.ts',
      'otel/index': 'src/otel/index.ts',
      'otel/grpc-js/index': 'src/otel/grpc-js/index.ts',
      'nestjs/index': 'src/nestjs/index.ts',
      'amqp/index': 'src/amqp/index.ts',
      'ops/index': 'src/ops/index.ts',
      'openfeature/index': 'src/openfeature/index.ts',
      'rollout/index': 'src/rollout/index.ts',
      'nats/index': 'src/nats/index.ts',
      'bullmq/index': 'src/bullmq/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    splitting: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    outDir: 'dist',
    treeshake: true,
    // observe loads prom-client lazily with createRequire(import.meta.url): the CJS build needs the shim.
    shims: true,
    external,
  },
  {
    // The `graylane` command (ESM only): trace, rules. The shop demo is not shipped (`npm run demo` in the repository).
    entry: { 'cli/index': 'src/cli/index.ts' },
    format: ['esm'],
    splitting: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    outDir: 'dist',
    external,
  },
]);
