#!/usr/bin/env node
// The README's test command (`npm test`): makes sure etcd is installed (routing tests run a real one),
// runs the suite on the newest grpc-js and the grpc-js suites again on 1.10 (the lowest supported), 1.12 and 1.13,
// and ends with one plain line `tests: N passed, N failed` computed from vitest's JSON reports.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function ensureEtcd() {
  if (has('etcd')) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get')) {
    console.log('[graylane] installing etcd-server (Debian) for the routing tests…');
    spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null'], { stdio: 'inherit' });
  }
  if (!has('etcd')) console.warn('[graylane] etcd not found: install it (`apt-get install -y etcd-server`); the etcd routing tests will fail.');
}

function run(label, args, report, env = {}) {
  rmSync(report, { force: true });
  console.log(`\n[graylane] ${label}`);
  const res = spawnSync('npx', ['vitest', 'run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (!existsSync(report)) return { passed: 0, failed: 1, ok: false };
  const json = JSON.parse(readFileSync(report, 'utf8'));
  // A file that failed without a failed test (e.g. it could not load) counts as one failure.
  const brokenFiles = (json.testResults ?? []).filter(
    (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  const failed = json.numFailedTests + brokenFiles;
  return { passed: json.numPassedTests, failed, ok: res.status === 0 && failed === 0 && json.numTotalTests > 0 };
}

ensureEtcd();
const extra = process.argv.slice(2);
const results = [
  run('suite on the installed @grpc/grpc-js', extra, '.vitest-report.json'),
  ...(extra.length === 0
    ? [
        run('grpc-js suites on the lowest supported @grpc/grpc-js (1.10.x)', ['-c', 'vitest.lowest.config.ts'], '.vitest-report-lowest.json'),
        // 1.12 and 1.13 each changed the experimental balancer API routing uses (src/routing/grpc-compat.ts).
        ...['12', '13'].map((minor) =>
          run(`grpc-js suites on @grpc/grpc-js 1.${minor}.x`, ['-c', 'vitest.lowest.config.ts'], `.vitest-report-1-${minor}.json`, {
            GRAYLANE_GRPC_JS_ALIAS: `grpc-js-1-${minor}`,
            GRAYLANE_EXPECT_GRPC_JS: `1.${minor}`,
          }),
        ),
      ]
    : []),
];
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
