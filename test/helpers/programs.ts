/**
 * Test helper for real programs from Debian packages (prometheus, promtool, prometheus-alertmanager,
 * nginx): installs a missing package with apt-get (a test that needs it fails with a clear message
 * when that is impossible — never skips), finds free loopback ports, and runs a program as a child
 * process that is killed on close.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const installed = new Map<string, string>();

function locate(binary: string): string | undefined {
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin']) {
    if (spawnSync('test', ['-x', `${dir}/${binary}`]).status === 0) return `${dir}/${binary}`;
  }
  const which = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : undefined;
}

/**
 * The absolute path of `binary`, installing Debian package `pkg` first when it is missing
 * (`apt-get install -y --no-install-recommends`, waiting for the dpkg lock). Throws with what to do
 * when it still cannot be found.
 */
export function requireProgram(binary: string, pkg: string): string {
  const known = installed.get(binary);
  if (known !== undefined) return known;
  let path = locate(binary);
  if (path === undefined) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=300', pkg], { env, encoding: 'utf8', timeout: 600_000 });
    path = locate(binary);
    if (path === undefined) {
      throw new Error(`This test needs '${binary}' from the Debian package '${pkg}', which is not installed and could not be installed ` +
        `(apt-get exit ${String(install.status)}: ${(install.stderr ?? '').slice(-500)}). Install it with \`apt-get install -y ${pkg}\`.`);
    }
  }
  installed.set(binary, path);
  return path;
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A running program. */
export interface Program {
  /** The child process. */
  readonly child: ChildProcess;
  /** The last 8 KB of its stdout + stderr (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it exited. */
  stop(): Promise<void>;
}

/** Starts `path args` and resolves once `ready()` is true (polled every 100 ms), or throws with its output. */
export async function startProgram(path: string, args: string[], ready: () => Promise<boolean>, timeoutMs = 20_000): Promise<Program> {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const program: Program = {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${path} exited with code ${child.exitCode} while starting:\n${output}`);
    if (await ready().catch(() => false)) return program;
    await new Promise((r) => setTimeout(r, 100));
  }
  await program.stop();
  throw new Error(`${path} not ready after ${timeoutMs} ms:\n${output}`);
}

/** `true` when GET `url` answers 200 within 500 ms. */
export async function answers(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(500) });
  await res.arrayBuffer();
  return res.ok;
}
