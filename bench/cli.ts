/**
 * Command-line options of bench/run.ts.
 * @packageDocumentation
 */
import { join } from 'node:path';
import { ALL_SCENARIOS, DEFAULT_SCENARIOS, type Hops, type Scenario } from './common.js';
import { REPO_ROOT } from './procs.js';

export interface Cli {
  quick: boolean;
  json: boolean;
  scenarios: Scenario[];
  hops: Hops[];
  /** Node lines to run on, primary first: `24`, `20`, `current`. Default `['24', '20']`. */
  node: string[];
  rounds: number | undefined;
  throughputMs: number | undefined;
  latencyCalls: number | undefined;
  micro: boolean;
  /** CPU-profile every chain process (the profile shares). Default true. */
  profile: boolean;
  cpuProfIntervalUs: number | undefined;
  /** Keep the profiles in this folder (else a temp folder, removed). */
  keepProfiles: string | undefined;
  /** Rewrite docs/benchmarks.*: by default only after a full run (not `--quick` or a custom one); `--docs` / `--no-docs` decide. */
  docs: boolean;
  out: string;
  custom: boolean;
  render: string | undefined;
}

export const USAGE = 'npx tsx bench/run.ts [--quick] [--json] [--node 24,20|current] [--scenarios a,b] [--hops 1,3] [--rounds N] [--throughput-ms N] [--latency-calls N] [--no-micro] [--no-profile] [--cpu-prof-interval US] [--keep-profiles DIR] [--docs | --no-docs] [--out DIR] [--render FILE.json]';

export function parseArgs(argv: readonly string[]): Cli {
  let docs: boolean | undefined;
  const cli: Cli = {
    quick: false, json: false, scenarios: [...DEFAULT_SCENARIOS], hops: [3], node: ['24', '20'], rounds: undefined, throughputMs: undefined,
    latencyCalls: undefined, micro: true, profile: true, cpuProfIntervalUs: undefined, keepProfiles: undefined, docs: true, out: join(REPO_ROOT, 'docs'), custom: false, render: undefined,
  };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  const int = (s: string, flag: string): number => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got ${s}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--quick': cli.quick = true; break;
      case '--json': cli.json = true; break;
      case '--no-micro': cli.micro = false; cli.custom = true; break;
      case '--no-profile': cli.profile = false; cli.custom = true; break;
      case '--no-docs': docs = false; break;
      case '--docs': docs = true; break;
      case '--out': cli.out = value(i++, a); break;
      case '--keep-profiles': cli.keepProfiles = value(i++, a); break;
      case '--cpu-prof-interval': cli.cpuProfIntervalUs = int(value(i++, a), a); cli.custom = true; break;
      case '--render': cli.render = value(i++, a); break;
      case '--node': {
        const list = value(i++, a).split(',').map((s) => s.trim()).filter(Boolean);
        const bad = list.filter((s) => s !== 'current' && !/^\d+$/.test(s));
        if (list.length === 0 || bad.length > 0) throw new Error(`--node takes Node major versions or 'current', e.g. 24,20; got ${value(i - 1, a)}`);
        cli.node = [...new Set(list)];
        cli.custom = true;
        break;
      }
      case '--scenarios': {
        const list = value(i++, a).split(',').map((s) => s.trim()).filter(Boolean);
        const bad = list.filter((s) => !(ALL_SCENARIOS as readonly string[]).includes(s));
        if (bad.length > 0) throw new Error(`unknown scenario(s) ${bad.join(', ')}; known: ${ALL_SCENARIOS.join(', ')}`);
        cli.scenarios = ALL_SCENARIOS.filter((s) => list.includes(s));
        cli.custom = true;
        break;
      }
      case '--hops': {
        const list = value(i++, a).split(',').map((s) => Number(s));
        if (list.some((h) => h !== 1 && h !== 3)) throw new Error('--hops takes 1, 3 or 1,3');
        cli.hops = [...new Set(list)] as Hops[];
        cli.custom = true;
        break;
      }
      case '--rounds': cli.rounds = int(value(i++, a), a); cli.custom = true; break;
      case '--throughput-ms': cli.throughputMs = int(value(i++, a), a); cli.custom = true; break;
      case '--latency-calls': cli.latencyCalls = int(value(i++, a), a); cli.custom = true; break;
      case '--help': case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${a} (see --help)`);
    }
  }
  // A quick or custom run is indicative only: it must not replace the published numbers unless asked.
  cli.docs = docs ?? (!cli.quick && !cli.custom);
  return cli;
}
