/**
 * Test helper: a real single-node etcd (Debian package `etcd-server`, binary `etcd`) on free
 * loopback ports with a temp data dir; stop/start keep the data; close removes everything.
 * Without the binary: fails under CI (`CI` set), skips locally (see {@link etcdAvailable}).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = process.env.ETCD_BIN ?? 'etcd';

/** `true` when the etcd binary runs. Throws under CI when it does not, so etcd tests never skip there. */
export function etcdAvailable(): boolean {
  const ok = spawnSync(BINARY, ['--version'], { stdio: 'ignore' }).status === 0;
  if (!ok && process.env.CI) {
    throw new Error(`etcd is required in CI but '${BINARY}' did not run; install it with \`apt-get install -y etcd-server\`.`);
  }
  return ok;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface EtcdServer {
  /** Client URL, e.g. `http://127.0.0.1:40123`. */
  readonly endpoint: string;
  /** Process id of the running etcd (`undefined` while stopped), e.g. to read its CPU time. */
  readonly pid: number | undefined;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s); data is kept. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data dir, and waits for health. */
  start(): Promise<void>;
  /** Stops it and removes the data dir. */
  close(): Promise<void>;
}

async function waitHealthy(endpoint: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`etcd exited with code ${proc.exitCode} while starting`);
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(500) });
      if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${endpoint} not healthy after ${timeoutMs} ms`);
}

/** Starts etcd and waits until it is healthy. */
export async function startEtcd(): Promise<EtcdServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'graylane-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'graylane-test', '--data-dir', dataDir,
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `graylane-test=${peer}`, '--initial-cluster-state', 'new',
    '--log-level', 'error',
  ];
  let proc: ChildProcess | undefined;
  let stderr = '';
  const start = async (): Promise<void> => {
    if (proc !== undefined && proc.exitCode === null && proc.signalCode === null) return;
    stderr = '';
    const child = spawn(BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    proc = child;
    try {
      await waitHealthy(endpoint, child, 15_000);
    } catch (e) {
      child.kill('SIGKILL');
      throw new Error(`${(e as Error).message}\n${stderr}`, { cause: e });
    }
  };
  const stop = async (): Promise<void> => {
    const child = proc;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    endpoint,
    get pid() {
      return proc !== undefined && proc.exitCode === null && proc.signalCode === null ? proc.pid : undefined;
    },
    stop,
    start,
    async close() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
