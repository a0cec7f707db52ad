/**
 * The package as published: `npm pack` once, install the tarball into empty projects — one with no
 * optional peer at all, then one per peer alone — and prove against each that every subpath loads,
 * in ESM and in CommonJS, exactly when the peers its README install-table row names are there (else
 * a clean module-not-found naming the missing peer), that the shipped declarations serve a strict
 * TypeScript consumer of each subpath, and that consumers written from the README work.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBPATH_PEERS } from './subpath-peers.js';

const exec = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');

/**
 * The projects: what each installs besides the tarball, the graylane peers that then resolve there
 * (a peer's own dependencies can bring another: prom-client depends on @opentelemetry/api), and the
 * strict TypeScript consumer compiled in it.
 */
const PROJECTS = {
  none: { install: [], peers: [], consumer: 'consumer-core.ts' },
  // @grpc/proto-loader is the consumers' own loader for the shipped hop proto, not a graylane peer.
  'grpc-js': { install: ['@grpc/grpc-js@^1.14', '@grpc/proto-loader@^0.8'], peers: ['@grpc/grpc-js'], consumer: 'consumer-grpc-js.ts' },
  // nice-grpc-common alone: the `nice-grpc` package itself depends on @grpc/grpc-js.
  'nice-grpc-common': { install: ['nice-grpc-common@^2'], peers: ['nice-grpc-common'], consumer: 'consumer-nice-grpc.ts' },
  'otel-api': { install: ['@opentelemetry/api@^1.9'], peers: ['@opentelemetry/api'], consumer: 'consumer-otel.ts' },
  'prom-client': { install: ['prom-client@^15'], peers: ['@opentelemetry/api', 'prom-client'], consumer: 'consumer-metrics.ts' },
  connect: { install: ['@connectrpc/connect@^2'], peers: ['@connectrpc/connect'], consumer: 'consumer-connect.ts' },
  // Nest needs reflect-metadata at run time; @grpc/grpc-js is what Nest's gRPC transport and graylane/grpc-js use.
  nestjs: {
    install: ['@grpc/grpc-js@^1.14', '@nestjs/common@^12', '@nestjs/core@^12', '@nestjs/microservices@^12', 'rxjs@^7', 'reflect-metadata@^0.2'],
    peers: ['@grpc/grpc-js', '@nestjs/common', '@nestjs/core', '@nestjs/microservices', 'rxjs'],
    consumer: 'consumer-nestjs.ts',
  },
  openfeature: { install: ['@openfeature/server-sdk@^1.13'], peers: ['@openfeature/server-sdk'], consumer: 'consumer-ops.ts' },
  queues: { install: ['nats@^2.29', 'bullmq@^5', 'amqplib@^0.10'], peers: ['amqplib', 'bullmq', 'nats'], consumer: 'consumer-queues.ts' },
} as const satisfies Record<string, { install: readonly string[]; peers: readonly string[]; consumer: string }>;
type Project = keyof typeof PROJECTS;

let root: string;
let tarball: string;
const dir = (p: Project): string => join(root, p);

interface Loads {
  installed: string[];
  result: Record<string, { esm: string; cjs: string; names: string[]; sameNames: boolean }>;
}
/** Per project, started once all are installed: how its subpaths load, and its strict tsc run. */
const loads = new Map<Project, Promise<Loads>>();
const compiles = new Map<Project, Promise<unknown>>();

async function loadAll(project: Project): Promise<Loads> {
  const { stdout } = await exec('node', ['subpaths.mjs'], { cwd: dir(project), timeout: 120_000 });
  return JSON.parse(stdout) as Loads;
}

async function compile(project: Project): Promise<unknown> {
  const d = dir(project);
  writeFileSync(join(d, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: true, typeRoots: [join(repo, 'node_modules/@types')], types: ['node'] },
    files: [PROJECTS[project].consumer],
  }));
  return exec('node', [join(repo, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: d, timeout: 180_000 })
    .catch((e: { stdout: string }) => Promise.reject(new Error(e.stdout)));
}

/**
 * What a subpath must do in a project: load when all its peers are there, else fail naming one of the
 * missing ones (which one depends on the order the subpath's modules load them in).
 */
function outcome(subpath: string, installed: readonly string[], got: { esm: string; cjs: string }): { esm: string; cjs: string } {
  const missing = SUBPATH_PEERS[subpath]!.filter((p) => !installed.includes(p));
  if (missing.length === 0) return { esm: 'ok', cjs: 'ok' };
  const named = (prefix: string, value: string): string =>
    missing.some((p) => value === `${prefix}:${p}`) ? value : `${prefix}:<one of ${missing.join(', ')}>`;
  return { esm: named('ERR_MODULE_NOT_FOUND', got.esm), cjs: named('MODULE_NOT_FOUND', got.cjs) };
}

describe('published tarball', () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'graylane-pack-'));
    await exec('npm', ['pack', '--silent', '--pack-destination', root], { cwd: repo, timeout: 120_000 });
    tarball = join(root, readdirSync(root).find((f) => f.endsWith('.tgz'))!);
    await Promise.all(Object.entries(PROJECTS).map(async ([name, project]) => {
      const d = dir(name as Project);
      mkdirSync(d);
      writeFileSync(join(d, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }));
      await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...project.install], { cwd: d, timeout: 180_000 });
      cpSync(join(import.meta.dirname, 'consumer'), d, { recursive: true });
    }));
    for (const project of Object.keys(PROJECTS) as Project[]) {
      loads.set(project, loadAll(project));
      compiles.set(project, compile(project));
      // Awaited by the tests; keep an early failure from surfacing as an unhandled rejection.
      loads.get(project)!.catch(() => {});
      compiles.get(project)!.catch(() => {});
    }
  }, 400_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  describe.each(Object.keys(PROJECTS) as Project[])('installed with %s', (project) => {
    it('has exactly the graylane peers it should (npm installs no optional peer by itself)', async () => {
      const found = await loads.get(project)!;
      expect(found.installed).toEqual([...PROJECTS[project].peers].sort());
      expect(Object.keys(found.result).sort()).toEqual(Object.keys(SUBPATH_PEERS).sort());
    }, 120_000);

    it('every subpath loads in ESM and CommonJS exactly when its peers are installed, else names the missing one', async () => {
      const found = await loads.get(project)!;
      const got = Object.fromEntries(Object.entries(found.result).map(([k, v]) => [k, { esm: v.esm, cjs: v.cjs }]));
      const want = Object.fromEntries(Object.keys(found.result).map((k) => [k, outcome(k, found.installed, got[k]!)]));
      expect(got).toEqual(want);
      for (const [name, r] of Object.entries(found.result)) expect(r.sameNames, `${name}: ESM and CJS export the same names`).toBe(true);
    });

    it('a strict TypeScript consumer of its subpaths compiles against the shipped declarations', async () => {
      await expect(compiles.get(project)!).resolves.toBeDefined();
    }, 180_000);
  });

  describe('the public names of every subpath', () => {
    it('each subpath exports what its docs list, the hop-trace wire codec none', async () => {
      const all = new Map<Project, Loads>();
      for (const [project, found] of loads) all.set(project, await found);
      const names = (project: Project, subpath: string): string[] => all.get(project)!.result[subpath]!.names;
      expect(names('none', 'graylane/observe')).toEqual([
        'DEFAULT_LABEL_STAGES', 'DEFAULT_SECONDS_BUCKETS', 'GRPC_COUNTER_LABELS', 'GRPC_HISTOGRAM_LABELS', 'HOPS_TRAILER_KEY', 'HOP_TRACE_KEY',
        'OTHER_STAGE_LABEL', 'RollbackGuard', 'byStage', 'createRollbackGuard', 'createStageLabeler', 'grayLogFields', 'grayLogFieldsFn', 'grayPinoMixin', 'readHopTrace',
      ]);
      expect(names('none', 'graylane/observe/http')).toEqual(['grayHttpMetricsMiddleware', 'rollbackGuardHttpMiddleware']);
      expect(names('grpc-js', 'graylane/observe/grpc-js')).toEqual([
        'grayClientMetricsInterceptor', 'grayGrpcClientStack', 'grayGrpcServerStack', 'grayHopTraceClientInterceptor', 'grayHopTraceServerInterceptor', 'grayServerMetricsInterceptor',
        'rollbackGuardClientInterceptor', 'rollbackGuardInterceptor', 'withHopTrace',
      ]);
      expect(names('nice-grpc-common', 'graylane/observe/nice-grpc')).toEqual([
        'grayClientMetricsMiddleware', 'grayHopTraceClientMiddleware', 'grayHopTraceServerMiddleware', 'grayNiceClientStack', 'grayNiceServerStack', 'grayServerMetricsMiddleware', 'rollbackGuardClientMiddleware',
      ]);
      expect(names('grpc-js', 'graylane/otel/grpc-js')).toEqual(['grayBaggageClientInterceptor', 'grayBaggageResolve']);
      expect(names('otel-api', 'graylane/otel')).toContain('grayBaggageGetter');
      expect(names('none', 'graylane')).toContain('byStage');
      expect(names('none', 'graylane/connect')).toEqual(['CONNECT_HEALTH_PATHS', 'GRAY_CONTEXT_KEY', 'forwardGrayMetadata', 'getCallGrayContext', 'grayClientInterceptor', 'grayServerInterceptor', 'headersCarrier']);
      expect(names('none', 'graylane/http')).toEqual(expect.arrayContaining(['grayFetchHandler', 'grayHonoMiddleware', 'grayHttpMiddleware', 'grayHttpHandler', 'grayFastifyPlugin']));
      expect(names('nestjs', 'graylane/nestjs')).toEqual(['GRAY_POLICY', 'GrayCtx', 'GrayModule', 'ReleaseStage', 'captureGrayContext', 'withGrayContext', 'withGrayGrpcClient', 'withGrayGrpcServer']);
      expect(names('none', 'graylane/amqp')).toEqual(expect.arrayContaining(['grayAmqpConsume', 'grayAmqpPublisher', 'getMessageGrayContext', 'laneQueueName']));
      expect(names('none', 'graylane/ops')).toEqual(expect.arrayContaining(['alertmanagerRollbackHandler', 'prometheusRuleManifest', 'prometheusRules', 'rulesToYaml']));
      expect(names('none', 'graylane/openfeature')).toEqual(['grayEvaluationContext', 'grayOpenFeatureHook']);
      expect(names('queues', 'graylane/nats')).toEqual(expect.arrayContaining(['grayNatsConsume', 'grayNatsPublisher', 'getMessageGrayContext', 'laneSubject']));
      expect(names('queues', 'graylane/bullmq')).toEqual(expect.arrayContaining(['grayBullmqProducer', 'grayBullmqWorker', 'jobGrayContext', 'laneQueueName']));
      expect(names('none', 'graylane/rollout')).toEqual(expect.arrayContaining(['createRollout', 'formatRolloutStatus', 'rolloutPercentIn']));
      const everywhere = [...all.values()].flatMap((l) => Object.values(l.result).flatMap((r) => r.names));
      expect(everywhere.filter((n) => /^(encodeHops|parseHops|MAX_HOPS|MAX_HOPS_LENGTH)$/.test(n))).toEqual([]);
    });

    it('with only prom-client: the HTTP metrics middleware loads it on first use, from the ESM and the CJS build', async () => {
      const { stdout } = await exec('node', ['metrics.mjs'], { cwd: dir('prom-client'), timeout: 60_000 });
      expect(JSON.parse(stdout)).toEqual([
        'esm http_requests_total{method="GET",code="200",release_stage="canary"} 1',
        'cjs http_requests_total{method="GET",code="200",release_stage="canary"} 1',
      ]);
    });

    it('with only @opentelemetry/api: graylane/otel reads the stage from OTel baggage and from a baggage header (ESM and CJS)', async () => {
      const { stdout } = await exec('node', ['otel.mjs'], { cwd: dir('otel-api'), timeout: 60_000 });
      const read = { fromContext: 'canary', fromHeader: 'blue' };
      expect(JSON.parse(stdout)).toEqual({ esm: read, cjs: read });
    });
  });

  describe('with @grpc/grpc-js', () => {
    it('a 3-hop chain over all four call types loses no tag', async () => {
      const { stdout } = await exec('node', ['chain.mjs'], { cwd: dir('grpc-js'), timeout: 60_000 });
      const { checked, bad } = JSON.parse(stdout) as { checked: number; bad: number };
      expect(bad).toBe(0);
      // Records per call: unary 1+2+2, server stream 1+2+2, client stream 2+3+3, bidi 2+2+2.
      expect(checked).toBe(50 * (5 + 5 + 8 + 6));
    });

    it('ESM and CommonJS copies share one context store and the GrayConfigError brand', async () => {
      const { stdout } = await exec('node', ['dual.mjs'], { cwd: dir('grpc-js'), timeout: 30_000 });
      expect(JSON.parse(stdout)).toEqual({
        seen: 'canary', brand: true, md: { 'x-release-stage': 'canary' }, esmPolicy: 'function', cjsInterceptor: 'function',
      });
    });

    it('graylane/routing does not load etcd3 until asked (etcd3 is not installed, routing loads)', async () => {
      const found = await loads.get('grpc-js')!;
      expect(found.installed).not.toContain('etcd3');
      expect(found.result['graylane/routing']).toMatchObject({ esm: 'ok', cjs: 'ok' });
    });

    it('installs the graylane command', async () => {
      const { stdout } = await exec(join(dir('grpc-js'), 'node_modules/.bin/graylane'), ['help'], { cwd: dir('grpc-js'), timeout: 30_000 });
      expect(stdout).toContain('graylane trace <host:port> --method');
      expect(stdout).not.toContain('graylane demo');
    });

    it('graylane demo is not shipped: one line points at `npm run demo` in the repository, exit 2', async () => {
      const failed = await exec(join(dir('grpc-js'), 'node_modules/.bin/graylane'), ['demo'], { cwd: dir('grpc-js'), timeout: 30_000 })
        .then(() => undefined, (e: { code: number; stdout: string; stderr: string }) => e);
      expect(failed?.code).toBe(2);
      expect(failed?.stdout).toBe('');
      expect(failed?.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^graylane demo: .*repository.*`npm run demo`/)]);
    });

    it('graylane trace from the installed package follows a live call hop by hop', async () => {
      const { stdout } = await exec('node', ['trace.mjs'], { cwd: dir('grpc-js'), timeout: 60_000 });
      const result = JSON.parse(stdout) as { code: number; stdout: string };
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('  hop (hop-1) stage=canary\n');
      expect(result.stdout).toContain('path: 1 hops, stage canary at every hop');
    });
  });

  describe('contents', () => {
    it('ships no tests, sources or example code, only dist, the hop proto and docs', async () => {
      const { stdout } = await exec('tar', ['-tzf', tarball], { cwd: root });
      const files = stdout.trim().split('\n');
      expect(files).toContain('package/dist/index.js');
      expect(files).toContain('package/dist/grpc-js/index.cjs');
      expect(files).toContain('package/dist/cli/index.js');
      expect(files).toContain('package/protos/graylane/hop/v1/hop.proto');
      expect(files).toContain('package/LICENSE');
      expect(files.filter((f) => /^package\/(test|src|examples)\//.test(f))).toEqual([]);
      // The example shop (its protos, its generated code, the demo chunk the CLI once bundled) stays in the repository.
      expect(files.filter((f) => f.startsWith('package/protos/') && f !== 'package/protos/graylane/hop/v1/hop.proto')).toEqual([]);
      expect(files.filter((f) => /^package\/dist\/demo-/.test(f))).toEqual([]);
    });

    it('dist carries library code only: no example shop, no import of nice-grpc or @bufbuild/protobuf outside the nice-grpc subpaths', () => {
      const pkg = join(dir('none'), 'node_modules/graylane/dist');
      const js = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? js(join(d, e.name)) : /\.(c?js)$/.test(e.name) ? [join(d, e.name)] : []);
      const offenders = js(pkg).filter((f) => {
        const code = readFileSync(f, 'utf8');
        const niceAllowed = /[\\/]nice-grpc[\\/]index\.c?js$/.test(f);
        // An import or require of the package, not any string that names it (a table keyed 'nice-grpc' is fine).
        const loads = (name: string): boolean => new RegExp(`(?:from\\s*|import\\s*\\(\\s*|require\\(\\s*)["']${name}["']`).test(code);
        return /graylane\.shop\.v1\.(Orders|Inventory|Pricing)"/.test(code) || loads('@bufbuild/protobuf') || (!niceAllowed && loads('nice-grpc'));
      }).map((f) => f.slice(pkg.length + 1));
      expect(offenders).toEqual([]);
    });
  });
});
