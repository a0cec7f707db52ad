#!/usr/bin/env node
// The README's test command (`npm test`): makes sure etcd is installed (routing tests run a real one),
// runs the suite on the newest grpc-js and the grpc-js suites again on 1.10 (the lowest supported), 1.12 and 1.13,
// then the context, interceptor, routing and edge suites (vitest.runtimes.config.ts) on each extra Node runtime
// pinned in scripts/runtimes.json (22, 24, 26; fetched and cached by scripts/runtimes.mjs, linux-x64 only),
// prints per-run counts and ends with one plain line `tests: N passed, N failed` computed from vitest's JSON reports.
//   npm test                          everything above
//   npm test -- <vitest args>         only the machine's node, with those args (e.g. a test file)
//   npm test -- --runtimes-only [..]  only the extra runtimes, with the vitest args that follow
//   GRAYLANE_RUNTIMES=24,26 | none    restrict the extra runtimes to those lines (each one left out is printed)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode, PLATFORM, RUNTIMES, SUPPORTED } from './runtimes.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/**
 * The real programs the suites start (no mocks): each Debian package whose binary is missing is
 * installed here, in ONE apt-get run before any test starts — test files run in parallel, and
 * several apt-get runs at once would fight over the dpkg lock. The test helpers still check (and
 * fail with what to install) when a binary is missing.
 */
const DEBIAN = [
  ['etcd', 'etcd-server'], // routing, rollout: a real etcd (and a 3-member cluster)
  ['promtool', 'prometheus'], // ops: promtool check rules, a real Prometheus
  ['prometheus-alertmanager', 'prometheus-alertmanager'], // ops: a real Alertmanager
  ['nginx', 'nginx'], // ops: graylane behind a real nginx
  ['chromium', 'chromium'], // dashboard: the page in a real headless browser
  ['rabbitmq-server', 'rabbitmq-server'], // amqp: started by the tests when none answers on 5672
  ['nats-server', 'nats-server'], // nats: idem on 4222
  ['redis-server', 'redis-server'], // bullmq: idem on 6379
];

function ensureDebianPackages() {
  const missing = DEBIAN.filter(([binary]) => !has(binary)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get')) {
    console.log(`[graylane] installing ${missing.join(', ')} (Debian) for the suites that run them…`);
    spawnSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')} >/dev/null`], { stdio: 'inherit' });
  }
  const still = DEBIAN.filter(([binary]) => !has(binary)).map(([, pkg]) => pkg);
  if (still.length > 0) console.warn(`[graylane] not installed: ${still.join(', ')} — install them (\`apt-get install -y ${still.join(' ')}\`); the suites that need them will fail.`);
}

const failure = (node, label, why) => {
  console.error(`[graylane] node ${node}: ${label}: ${why}`);
  return { node, label, passed: 0, failed: 1, ok: false, seconds: 0 };
};

/** One vitest run under `node`, counted from its JSON report. */
function run(label, args, report, { env = {}, node = process.execPath, version = process.versions.node } = {}) {
  rmSync(join(ROOT, report), { force: true });
  console.log(`\n[graylane] node ${version}: ${label}`);
  const started = Date.now();
  const res = spawnSync(node, [VITEST, 'run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  if (!existsSync(join(ROOT, report))) return { ...failure(version, label, `no report (vitest exit ${res.status ?? res.error?.message})`), seconds };
  const json = JSON.parse(readFileSync(join(ROOT, report), 'utf8'));
  // A file that failed without a failed test (e.g. it could not load) counts as one failure.
  const brokenFiles = (json.testResults ?? []).filter(
    (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  const failed = json.numFailedTests + brokenFiles;
  return { node: version, label, passed: json.numPassedTests, failed, seconds, ok: res.status === 0 && failed === 0 && json.numTotalTests > 0 };
}

/** The context/interceptor/routing/edge suites on each pinned runtime; a runtime that cannot be had is a failure. */
function runExtraRuntimes(args) {
  const label = 'context, interceptor, routing and edge suites (vitest.runtimes.config.ts)';
  const lines = RUNTIMES.map((r) => r.version).join(', ');
  if (!SUPPORTED) {
    console.log(`\n[graylane] extra Node runtimes (${lines}) skipped: their binaries are fetched for linux-x64 only, this is ${PLATFORM}.`);
    return [];
  }
  const wanted = process.env.GRAYLANE_RUNTIMES?.trim();
  const results = [];
  for (const runtime of RUNTIMES) {
    if (wanted && !wanted.split(',').map((s) => s.trim()).includes(runtime.line)) {
      console.log(`\n[graylane] node ${runtime.version} skipped: GRAYLANE_RUNTIMES=${wanted}`);
      continue;
    }
    let bin;
    try {
      const got = ensureNode(runtime);
      bin = got.bin;
      console.log(`\n[graylane] node ${runtime.version}: ${got.cached ? 'cached' : 'downloaded'} at ${bin}`);
    } catch (err) {
      results.push(failure(runtime.version, label, `could not get the runtime: ${err.message}`));
      continue;
    }
    results.push(
      run(label, ['-c', 'vitest.runtimes.config.ts', ...args], `.vitest-report-node-${runtime.line}.json`, {
        node: bin,
        version: runtime.version,
        // Child processes the tests spawn by name (`node`, `npx`) get the same runtime.
        env: { GRAYLANE_EXPECT_NODE: runtime.version, PATH: `${dirname(bin)}${delimiter}${process.env.PATH ?? ''}` },
      }),
    );
  }
  return results;
}

ensureDebianPackages();
const argv = process.argv.slice(2);
const runtimesOnly = argv.includes('--runtimes-only');
const extra = argv.filter((a) => a !== '--runtimes-only');
const results = runtimesOnly
  ? runExtraRuntimes(extra)
  : [
      run('suite on the installed @grpc/grpc-js', extra, '.vitest-report.json'),
      ...(extra.length === 0
        ? [
            run('grpc-js suites on the lowest supported @grpc/grpc-js (1.10.x)', ['-c', 'vitest.lowest.config.ts'], '.vitest-report-lowest.json'),
            // 1.12 and 1.13 each changed the experimental balancer API routing uses (src/routing/grpc-compat.ts).
            ...['12', '13'].map((minor) =>
              run(`grpc-js suites on @grpc/grpc-js 1.${minor}.x`, ['-c', 'vitest.lowest.config.ts'], `.vitest-report-1-${minor}.json`, {
                env: { GRAYLANE_GRPC_JS_ALIAS: `grpc-js-1-${minor}`, GRAYLANE_EXPECT_GRPC_JS: `1.${minor}` },
              }),
            ),
            ...runExtraRuntimes([]),
          ]
        : []),
    ];
console.log('\n[graylane] runs:');
for (const r of results) {
  console.log(`  node ${r.node.padEnd(8)} ${String(r.passed).padStart(4)} passed, ${r.failed} failed  ${String(r.seconds).padStart(4)} s  ${r.label}`);
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(results.length > 0 && results.every((r) => r.ok) ? 0 : 1);
