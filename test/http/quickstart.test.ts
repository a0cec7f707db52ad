/** The docs/http.md quick start is this test's gateway: same code (import paths mapped), run as a real process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTO_ROOT } from '../helpers/grpc.js';
import { getJson, request, startBackend, type Backend } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GATEWAY = fileURLToPath(new URL('./quickstart-gateway.ts', import.meta.url));
const SPECIFIERS: Record<string, string> = {
  "'graylane'": "'../../src/index.js'",
  "'graylane/grpc-js'": "'../../src/grpc-js/index.js'",
  "'graylane/http'": "'../../src/http/index.js'",
};

function quickStartFromDocs(): string {
  const doc = readFileSync(new URL('../../docs/http.md', import.meta.url), 'utf8');
  const match = /<!-- quickstart -->\s*```ts\n([\s\S]*?)```/.exec(doc);
  if (match === null) throw new Error('docs/http.md has no <!-- quickstart --> ts block');
  let code = match[1]!;
  for (const [from, to] of Object.entries(SPECIFIERS)) code = code.split(from).join(to);
  return code;
}

describe('docs/http.md quick start', () => {
  let backend: Backend;
  let child: ChildProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    backend = await startBackend();
    const proc = spawn(process.execPath, ['--import', 'tsx', GATEWAY], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', BACKEND: backend.server.address, GRAYLANE_PROTOS: PROTO_ROOT, GRAY_TOKEN: 'qa-secret' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`gateway did not start: ${out} ${err}`)), 20_000);
      proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      proc.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m !== null) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited (${String(code)}): ${err}`));
      });
    });
  });
  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await backend?.close();
  });

  it('the documented code is the code under test', () => {
    expect(quickStartFromDocs()).toBe(readFileSync(GATEWAY, 'utf8'));
  });

  it('colors by rule, ignores an untrusted tag, accepts a token-admitted one (alias too), forwards to gRPC', async () => {
    type Reply = { hops: { stage: string }[] };
    const stageOf = async (headers: Record<string, string>): Promise<string> => (await getJson<Reply>(port, '/orders', headers)).hops[0]!.stage;
    expect(await stageOf({ 'x-user-group': 'qa' })).toBe('canary');
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
