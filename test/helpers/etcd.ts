/**
 * Test helper: a real etcd (Debian package `etcd-server`, binary `etcd`) on free loopback ports with
 * temp data dirs — a single node ({@link startEtcd}) or a cluster ({@link startEtcdCluster});
 * stop/start keep the data; close removes everything. Every etcd process still running when the
 * test process exits is killed. Without the binary: fails under CI (`CI` set), skips locally (see
 * {@link etcdAvailable}).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = process.env.ETCD_BIN ?? 'etcd';

/** Live etcd processes: killed when the test process exits, even after a failed or aborted test. */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

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

/** One etcd process with its data dir: `launch` spawns it, `start` also waits until it is healthy. */
function member(name: string, endpoint: string, peer: string, cluster: string, token: string): Omit<EtcdMember, 'name'> & { launch(): Promise<void> } {
  const dataDir = mkdtempSync(join(tmpdir(), 'graylane-etcd-'));
  const args = [
    '--name', name, '--data-dir', dataDir,
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', cluster, '--initial-cluster-state', 'new', '--initial-cluster-token', token,
    '--log-level', 'error',
  ];
  let proc: ChildProcess | undefined;
  let stderr = '';
  const running = (): boolean => proc !== undefined && proc.exitCode === null && proc.signalCode === null;
  const launch = async (): Promise<void> => {
    if (running()) return;
    stderr = '';
    const child = spawn(BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    track(child);
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    proc = child;
  };
  const start = async (): Promise<void> => {
    await launch();
    try {
      await waitHealthy(endpoint, proc!, 15_000);
    } catch (e) {
      proc!.kill('SIGKILL');
      throw new Error(`${(e as Error).message}\n${stderr}`, { cause: e });
    }
  };
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const child = proc;
    if (child === undefined || !running()) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return {
    endpoint,
    get pid() {
      return running() ? proc!.pid : undefined;
    },
    launch,
    start,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    async close() {
      await halt('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts a single-node etcd and waits until it is healthy. */
export async function startEtcd(): Promise<EtcdServer> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const peer = `http://127.0.0.1:${peerPort}`;
  const m = member('graylane-test', `http://127.0.0.1:${clientPort}`, peer, `graylane-test=${peer}`, `graylane-${randomUUID()}`);
  try {
    await m.start();
  } catch (e) {
    await m.close();
    throw e;
  }
  return { endpoint: m.endpoint, get pid() { return m.pid; }, stop: m.stop, start: m.start, close: m.close };
}

/** One member of an {@link EtcdCluster}. */
export interface EtcdMember extends EtcdServer {
  /** Member name, e.g. `member-0`. */
  readonly name: string;
  /** SIGKILL: the process dies at once (no graceful leader transfer); data is kept. */
  kill(): Promise<void>;
}

/** A multi-member etcd cluster on loopback. */
export interface EtcdCluster {
  /** Client URLs of every member (what an application passes as its endpoint list). */
  readonly endpoints: readonly string[];
  readonly members: readonly EtcdMember[];
  /** The member that is leader now, as the running members report it; rejects when none agree within `timeoutMs`. */
  leader(timeoutMs?: number): Promise<EtcdMember>;
  /** Kills every member and removes the data dirs. */
  close(): Promise<void>;
}

async function memberStatus(endpoint: string): Promise<{ id: string; leader: string } | undefined> {
  try {
    const res = await fetch(`${endpoint}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { header?: { member_id?: string }; leader?: string };
    if (body.header?.member_id === undefined || body.leader === undefined || body.leader === '0') return undefined;
    return { id: body.header.member_id, leader: body.leader };
  } catch {
    return undefined;
  }
}

/** Starts a `size`-member cluster (default 3) on free loopback ports and waits until every member is healthy. */
export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  const ports: number[] = [];
  while (ports.length < 2 * size) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const names = Array.from({ length: size }, (_, i) => `member-${i}`);
  const peers = names.map((_, i) => `http://127.0.0.1:${ports[2 * i + 1]}`);
  const cluster = names.map((n, i) => `${n}=${peers[i]}`).join(',');
  const token = `graylane-${randomUUID()}`;
  const members = names.map((n, i) => Object.assign(member(n, `http://127.0.0.1:${ports[2 * i]}`, peers[i]!, cluster, token), { name: n }));
  const close = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.close()));
  };
  try {
    // Members wait for each other to form a quorum: launch all, then wait for each.
    await Promise.all(members.map((m) => m.launch()));
    await Promise.all(members.map((m) => m.start()));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    endpoints: members.map((m) => m.endpoint),
    members,
    async leader(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const running = members.filter((m) => m.pid !== undefined);
        const statuses = await Promise.all(running.map((m) => memberStatus(m.endpoint)));
        const leaders = new Set(statuses.map((s) => s?.leader));
        const found = statuses.findIndex((s) => s !== undefined && s.id === s.leader);
        // Every running member answers and names the same leader, which is one of them.
        if (found >= 0 && leaders.size === 1 && !leaders.has(undefined)) return running[found]!;
        if (Date.now() > deadline) throw new Error(`etcd cluster: no agreed leader after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close,
  };
}
