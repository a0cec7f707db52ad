/**
 * The dependency rules of docs/architecture.md, checked on every src file's imports: the core imports
 * no framework and no adapter; no adapter imports another (nestjs/ is wiring over grpc-js and http by
 * design); routing, observe and otel import the core (observe's per-adapter feeds also their adapter).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');
const ADAPTERS = ['grpc-js', 'nice-grpc', 'connect', 'http', 'hono', 'nestjs', 'amqp', 'nats', 'bullmq'];
/** Rooms beside the adapters: each may import the core and the neutral rooms listed for it. */
const BESIDE: Record<string, readonly string[]> = { routing: [], observe: [], otel: [], queue: ['routing', 'observe'], ops: ['routing', 'observe'], openfeature: [], rollout: ['routing', 'observe'], dashboard: ['routing', 'observe', 'rollout'], cli: ['routing', 'observe', 'ops', 'rollout', 'dashboard'] };
/** Runtime dependencies the core may use (package.json "dependencies"). */
const CORE_PACKAGES = new Set(['re2js']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** [file's room, imported room or package] for every import of every src file. */
function edges(): Array<{ file: string; from: string[]; to: string[] | undefined; spec: string }> {
  return sources(SRC).flatMap((file) => {
    const from = relative(SRC, file).split(sep).slice(0, -1);
    return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map(({ fileName: spec }) => {
      const to = spec.startsWith('.') ? relative(SRC, resolve(dirname(file), spec)).split(sep).slice(0, -1) : undefined;
      return { file: relative(ROOT, file), from, to, spec };
    });
  });
}

const isBuiltin = (spec: string): boolean => spec.startsWith('node:') || builtinModules.includes(spec);

describe('dependency rules (docs/architecture.md)', () => {
  const all = edges();

  it('the core imports no framework, no adapter and nothing outside core/', () => {
    const bad = all.filter((e) => e.from[0] === 'core' && (e.to === undefined ? !isBuiltin(e.spec) && !CORE_PACKAGES.has(e.spec) : e.to[0] !== 'core'));
    expect(all.some((e) => e.from[0] === 'core')).toBe(true);
    expect(bad.map((e) => `${e.file} → ${e.spec}`)).toEqual([]);
  });

  it('no adapter imports another adapter (nestjs/ may use grpc-js/ and http/; queue adapters use queue/, routing/, observe/)', () => {
    const bad = all.filter((e) => {
      const [room] = e.from;
      if (room === undefined || !ADAPTERS.includes(room) || e.to === undefined) return false;
      const target = e.to[0]!;
      if (target === room || target === 'core') return false;
      if (room === 'nestjs' && (target === 'grpc-js' || target === 'http')) return false;
      // Queue adapters route by lane: they share queue/ and use the registries (routing/) and the guard (observe/).
      if (['amqp', 'nats', 'bullmq'].includes(room) && ['queue', 'routing', 'observe'].includes(target)) return false;
      return true;
    });
    expect(bad.map((e) => `${e.file} → ${e.spec}`)).toEqual([]);
  });

  it('rooms beside the adapters import the core, their own room, the neutral rooms allowed them, and (observe/<adapter>, otel/<adapter>) that adapter only', () => {
    const bad = all.filter((e) => {
      const [room, sub] = e.from;
      if (room === undefined || !(room in BESIDE) || e.to === undefined) return false;
      const target = e.to[0]!;
      if (target === 'core' || target === room || BESIDE[room]!.includes(target)) return false;
      return !(sub !== undefined && target === sub);
    });
    expect(bad.map((e) => `${e.file} → ${e.spec}`)).toEqual([]);
  });
});
