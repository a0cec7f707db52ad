/**
 * Service names a registry file mentions (`instances[].service` and the keys of `rules`), for a
 * registry API that serves snapshots by name but cannot list them.
 * @packageDocumentation
 */
import { readFileSync, statSync } from 'node:fs';

const MAX_FILE_BYTES = 8 * 1024 * 1024;
const MAX_SERVICES = 500;

/** The services a JSON registry file names, sorted; `[]` when it cannot be read or parsed. Never throws. */
export function fileServiceNames(path: string): string[] {
  try {
    if (statSync(path).size > MAX_FILE_BYTES) return [];
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { instances?: unknown; rules?: unknown };
    const names = new Set<string>();
    if (Array.isArray(doc.instances)) {
      for (const i of doc.instances as Array<{ service?: unknown }>) if (typeof i?.service === 'string') names.add(i.service);
    }
    if (typeof doc.rules === 'object' && doc.rules !== null) for (const k of Object.keys(doc.rules)) names.add(k);
    return [...names].sort().slice(0, MAX_SERVICES);
  } catch {
    return [];
  }
}
