/** What machine a bench ran on, for its report. */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** The CPU model (from /proc/cpuinfo on Linux, else os.cpus()). */
export function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line !== undefined) return line.split(':')[1]!.trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}
