#!/usr/bin/env node
/**
 * The `graylane` command: `graylane trace` checks the release stage at every hop of a live chain;
 * `graylane rules prometheus` prints alerting and recording rules for the per-stage metrics;
 * `graylane rollout` operates a progressive rollout stored in a registry; `graylane dashboard`
 * serves a local live view of the lanes; `graylane explain` says why a request got its stage (and,
 * for a live call, every hop's stage, instance and fallback).
 * The example shop demo is not shipped: it runs from the repository with `npm run demo`.
 * @packageDocumentation
 */
import { parseArgs } from 'node:util';
import { EXPLAIN_USAGE, explainCommand } from './explain.js';
import { ROLLOUT_USAGE, rolloutCommand } from './rollout.js';
import { formatTrace, traceCall } from './trace.js';
import { rules, RULES_USAGE } from './rules.js';
import { dashboard, DASHBOARD_USAGE } from './dashboard.js';

const USAGE = `usage:
  graylane trace <host:port> --method /pkg.Service/Method [--stage canary] [--header k=v]... [--json]
  graylane trace <http(s)://edge/path> [--stage canary] [--header k=v]... [--json]
      call a live service with the stage and the hop trace on; print the path (exit 1 if a hop lost the tag)
${RULES_USAGE}
${ROLLOUT_USAGE}
${DASHBOARD_USAGE}
${EXPLAIN_USAGE}`;

async function trace(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      method: { type: 'string' },
      stage: { type: 'string', default: 'canary' },
      header: { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '5000' },
    },
  });
  const target = positionals[0];
  if (!target) {
    console.error(USAGE);
    return 2;
  }
  const headers = Object.fromEntries(values.header.map((h) => {
    const at = h.search(/[=:]/);
    return at < 0 ? [h, ''] : [h.slice(0, at).trim(), h.slice(at + 1).trim()];
  }));
  const req = { target, method: values.method, stage: values.stage, headers, timeoutMs: Number(values.timeout) || 5000 };
  const result = await traceCall(req);
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else for (const line of formatTrace(req, result)) console.log(line);
  return result.trace.status === 'ok' && result.mismatched === 0 ? 0 : 1;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      // The shop and its frameworks are example code, not part of the package.
      console.error('graylane demo: not in the installed package; the demo runs from the repository (https://github.com/graylane/graylane) with `npm run demo`.');
      return 2;
    case 'trace':
      return trace(rest);
    case 'rules':
      return rules(rest);
    case 'rollout':
      return rolloutCommand(rest);
    case 'dashboard':
      return dashboard(rest);
    case 'explain':
      return explainCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`graylane: unknown command '${command}'\n${USAGE}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
