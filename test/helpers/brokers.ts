/**
 * Test helper: real message brokers on loopback. When one already answers on its standard port
 * (the project's machines start RabbitMQ on 5672, NATS with JetStream on 4222, Redis on 6379) the
 * tests use it, isolated by unique queue / stream / key-prefix names per run ({@link uniqueName}).
 * Otherwise the Debian package's server is started on a free loopback port with a temp data dir
 * (installed with apt-get first when running as root), and stopped after. No mocks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A unique, broker-safe name for this run: `gl-<prefix>-<hex>`. */
export function uniqueName(prefix: string): string {
  return `gl-${prefix}-${randomBytes(5).toString('hex')}`;
}

function answers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
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

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function ensureInstalled(binary: string, pkg: string): void {
  if (has(binary)) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get')) {
    spawnSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg} >/dev/null`], { stdio: 'inherit' });
  }
  if (!has(binary)) throw new Error(`${binary} is required for these tests; install it with \`apt-get install -y ${pkg}\`.`);
}

/** A broker the tests talk to. */
export interface Broker {
  /** Connection URL (`amqp://…`, `nats://…`, `redis://…`). */
  readonly url: string;
  /** Host and port. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** Stops the broker if this helper started it (a broker that was already running is left alone). */
  close(): Promise<void>;
}

async function waitPort(port: number, proc: ChildProcess, timeoutMs: number, name: string, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with code ${proc.exitCode} while starting: ${log()}`);
    if (await answers(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not answer on 127.0.0.1:${port} after ${timeoutMs} ms: ${log()}`);
}

function started(url: string, port: number, proc: ChildProcess, dir: string): Broker {
  return {
    url,
    host: '127.0.0.1',
    port,
    close: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function spawnLogged(cmd: string, args: string[], env: NodeJS.ProcessEnv): { proc: ChildProcess; log: () => string } {
  let out = '';
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d: Buffer): void => void (out = (out + d.toString()).slice(-4000));
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return { proc, log: () => out };
}

/** RabbitMQ: the one on 127.0.0.1:5672 (guest/guest), else `rabbitmq-server` on a free port. */
export async function startRabbit(): Promise<Broker> {
  if (process.env.GRAYLANE_SPAWN_BROKERS !== '1' && (await answers(5672))) {
    return { url: 'amqp://guest:guest@127.0.0.1:5672', host: '127.0.0.1', port: 5672, close: async () => undefined };
  }
  ensureInstalled('rabbitmq-server', 'rabbitmq-server');
  const dir = mkdtempSync(join(tmpdir(), 'graylane-rabbit-'));
  const port = await freePort();
  const dist = await freePort();
  const name = `gl${randomBytes(3).toString('hex')}@localhost`;
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\nloopback_users = none\n`);
  const { proc, log } = spawnLogged('rabbitmq-server', [], {
    RABBITMQ_NODENAME: name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(dist),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_ENABLED_PLUGINS: '',
  });
  await waitPort(port, proc, 60_000, 'rabbitmq-server', log);
  return started(`amqp://guest:guest@127.0.0.1:${port}`, port, proc, dir);
}

/** NATS with JetStream: the one on 127.0.0.1:4222, else `nats-server -js` on a free port with a temp store dir. */
export async function startNats(): Promise<Broker> {
  if (process.env.GRAYLANE_SPAWN_BROKERS !== '1' && (await answers(4222))) {
    return { url: 'nats://127.0.0.1:4222', host: '127.0.0.1', port: 4222, close: async () => undefined };
  }
  ensureInstalled('nats-server', 'nats-server');
  const dir = mkdtempSync(join(tmpdir(), 'graylane-nats-'));
  const port = await freePort();
  const { proc, log } = spawnLogged('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], {});
  await waitPort(port, proc, 30_000, 'nats-server', log);
  return started(`nats://127.0.0.1:${port}`, port, proc, dir);
}

/** Redis: the one on 127.0.0.1:6379, else `redis-server` on a free port with a temp dir (no persistence). */
export async function startRedis(): Promise<Broker> {
  if (process.env.GRAYLANE_SPAWN_BROKERS !== '1' && (await answers(6379))) {
    return { url: 'redis://127.0.0.1:6379', host: '127.0.0.1', port: 6379, close: async () => undefined };
  }
  ensureInstalled('redis-server', 'redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'graylane-redis-'));
  const port = await freePort();
  const { proc, log } = spawnLogged('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no'], {});
  await waitPort(port, proc, 30_000, 'redis-server', log);
  return started(`redis://127.0.0.1:${port}`, port, proc, dir);
}
