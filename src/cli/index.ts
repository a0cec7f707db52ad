#!/usr/bin/env node
/**
 * The `graylane` command: `graylane demo` runs the example shop end to end; `graylane trace` checks
 * the release stage at every hop of a live chain.
 * @packageDocumentation
 */
import { parseArgs } from 'node:util';
import { formatTrace, traceCall } from './trace.js';

const USAGE = `usage:
  graylane demo  [--requests N] [--json] [--registry file|etcd://HOST:PORT]
      start the example shop on loopback, send mixed traffic, check every hop, run the rollback drill
  graylane trace <host:port> --method /pkg.Service/Method [--stage canary] [--header k=v]... [--json]
  graylane trace <http(s)://edge/path> [--stage canary] [--header k=v]... [--json]
      call a live service with the stage and the hop trace on; print the path (exit 1 if a hop lost the tag)`;

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
    case 'demo': {
      const { runDemo } = await import('../../examples/shop/demo.js');
      return runDemo(rest);
    }
    case 'trace':
      return trace(rest);
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
