/**
 * The docs/http.md quick start is this test: the documented backend and gateway (import paths
 * mapped to src/) are checked byte for byte against these files and run as real processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTO_ROOT } from '../helpers/grpc.js';
import { getJson, request } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GATEWAY = fileURLToPath(new URL('./quickstart-gateway.ts', import.meta.url));
const BACKEND = fileURLToPath(new URL('./quickstart-backend.ts', import.meta.url));
const SPECIFIERS: Record<string, string> = {
  "'graylane'": "'../../src/index.js'",
  "'graylane/grpc-js'": "'../../src/grpc-js/index.js'",
  "'graylane/http'": "'../../src/http/index.js'",
};

function fromDocs(marker: string): string {
  const doc = readFileSync(new URL('../../docs/http.md', import.meta.url), 'utf8');
  const match = new RegExp(`<!-- ${marker} -->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (match === null) throw new Error(`docs/http.md has no <!-- ${marker} --> ts block`);
  let code = match[1]!;
  for (const [from, to] of Object.entries(SPECIFIERS)) code = code.split(from).join(to);
  return code;
}

/** Starts `file` with tsx and resolves with the port it prints ("listening on …:<port>"), bounded to 20 s. */
function run(file: string, env: Record<string, string>, started: ChildProcess[]): Promise<number> {
  const proc = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  return new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${file} did not start: ${out} ${err}`)), 20_000);
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (?:http:\/\/)?127\.0\.0\.1:(\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited (${String(code)}): ${err}`));
    });
  });
}

describe('docs/http.md quick start', () => {
  const started: ChildProcess[] = [];
  let port = 0;

  beforeAll(async () => {
    const backendPort = await run(BACKEND, { BACKEND: '127.0.0.1:0', GRAYLANE_PROTOS: PROTO_ROOT }, started);
    port = await run(GATEWAY, { PORT: '0', BACKEND: `127.0.0.1:${backendPort}`, GRAYLANE_PROTOS: PROTO_ROOT, GRAY_TOKEN: 'qa-secret' }, started);
  }, 45_000);
  afterAll(async () => {
    await Promise.all(started.filter((p) => p.exitCode === null && p.signalCode === null).map((p) => {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      return exited;
    }));
  });

  it('the documented code is the code under test', () => {
    expect(fromDocs('quickstart-backend')).toBe(readFileSync(BACKEND, 'utf8'));
    expect(fromDocs('quickstart')).toBe(readFileSync(GATEWAY, 'utf8'));
  });

  it('colors by rule, ignores an untrusted tag, accepts a token-admitted one (alias too), forwards to gRPC', async () => {
    type Reply = { hops: { stage: string }[] };
    const stageOf = async (headers: Record<string, string>): Promise<string> => (await getJson<Reply>(port, '/orders', headers)).hops[0]!.stage;
    expect(await stageOf({ 'x-user-group': 'qa' })).toBe('canary');
    expect(await stageOf({})).toBe('stable');
    expect(await stageOf({ 'x-release-stage': 'canary' })).toBe('stable');
    expect(await stageOf({ 'x-release-stage': 'canary', 'x-gray-token': 'wrong' })).toBe('stable');
    expect(await stageOf({ 'x-release-stage': 'canary', 'x-gray-token': 'qa-secret' })).toBe('canary');
    expect(await stageOf({ 'X-Canary-Version': 'v2', 'x-gray-token': 'qa-secret' })).toBe('v2');
    const res = await request(port, '/orders', { 'x-user-group': 'qa' });
    expect(res.headers['x-release-stage']).toBe('canary');
    const health = await request(port, '/healthz', { 'x-user-group': 'qa' });
    expect(health.body).toBe('ok');
    expect(health.headers['x-release-stage']).toBeUndefined();
  });
});
