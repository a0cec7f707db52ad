/**
 * Child processes for the harness: fork a compiled bench module (bench/.out, see build.ts) with a
 * chosen `node` binary and an IPC channel, wait for its `ready`, send it requests with a timeout,
 * and kill every child on exit, error or Ctrl-C.
 * @packageDocumentation
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { IpcReply } from './common.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const live = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** A forked benchmark process. */
export interface Proc {
  readonly name: string;
  readonly port: number | undefined;
  request<T>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  kill(): void;
  /** Asks the process to exit (so `--cpu-prof` output is written), then kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  readonly name: string;
  /** Absolute path of the compiled module, e.g. `<out>/hop-server.js`. */
  readonly module: string;
  /** The `node` binary to run it with. Default: this process's. */
  readonly execPath?: string;
  readonly args?: readonly string[];
  /** Extra `--import` preloads (absolute paths of compiled modules). */
  readonly preload?: readonly string[];
  readonly env?: Record<string, string>;
  readonly readyTimeoutMs?: number;
  /** Write a V8 CPU profile (`--cpu-prof`) into this folder when the process exits. */
  readonly cpuProfDir?: string;
  /** Sampling interval of the CPU profile, µs. Default: V8's (1000). */
  readonly cpuProfIntervalUs?: number;
}

/** The folder name of a process's profile: its name with every run of unsafe characters as `_`. */
export function profileFolderName(name: string): string {
  return name.replace(/[^a-z0-9-]+/gi, '_');
}

/** Forks `options.module` with plain `node` (no loader) and resolves once it reports ready. */
export function spawnProc(options: SpawnOptions): Promise<Proc> {
  hookExit();
  const execArgv = [
    ...(options.preload ?? []).flatMap((p) => ['--import', pathToFileURL(p).href]),
    ...(options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`]),
    ...(options.cpuProfDir !== undefined && options.cpuProfIntervalUs !== undefined ? [`--cpu-prof-interval=${options.cpuProfIntervalUs}`] : []),
  ];
  const child = fork(options.module, [...(options.args ?? [])], {
    cwd: REPO_ROOT,
    execPath: options.execPath ?? process.execPath,
    execArgv,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const failAll = (err: Error): void => {
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    pending.clear();
  };
  child.on('exit', (code, signal) => {
    live.delete(child);
    failAll(new Error(`${options.name} exited (code ${code}, signal ${signal})`));
  });

  return new Promise((resolveReady, rejectReady) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectReady(new Error(`${options.name} not ready within ${options.readyTimeoutMs ?? 30_000} ms`));
    }, options.readyTimeoutMs ?? 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rejectReady(new Error(`${options.name} exited before ready (code ${code})`));
    });
    child.on('message', (raw: unknown) => {
      const msg = raw as IpcReply;
      if (msg.id === 0 && msg.ready !== undefined) {
        clearTimeout(timer);
        resolveReady({
          name: options.name,
          port: msg.ready.port,
          request<T>(cmd: string, args?: Record<string, unknown>, timeoutMs = 120_000): Promise<T> {
            const id = nextId++;
            return new Promise<T>((resolve, reject) => {
              const t = setTimeout(() => {
                pending.delete(id);
                reject(new Error(`${options.name}: ${cmd} timed out after ${timeoutMs} ms`));
              }, timeoutMs);
              pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer: t });
              child.send({ id, cmd, args });
            });
          },
          kill() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
            live.delete(child);
          },
          stop(graceMs = 3_000) {
            if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
            return new Promise<void>((resolve) => {
              const t = setTimeout(() => {
                child.kill('SIGKILL');
                resolve();
              }, graceMs);
              child.once('exit', () => {
                clearTimeout(t);
                live.delete(child);
                resolve();
              });
              if (child.connected) child.send({ id: 0, cmd: 'exit' });
            });
          },
        });
        return;
      }
      const p = pending.get(msg.id);
      if (p === undefined) return;
      pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`${options.name}: ${msg.error ?? 'failed'}`));
    });
  });
}

/** Kills every child still running (also done automatically at exit). */
export function killAllProcs(): void {
  killAll();
}

/** Runs a compiled bench module with `node` (no IPC) and parses the last line of its stdout as JSON. */
export function runJsonChild(node: string, module: string, args: readonly string[], timeoutMs: number, nodeArgs: readonly string[] = []): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(node, [...nodeArgs, module, ...args], { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${module}: ${err.message}\n${stderr}`));
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch (e) {
        reject(new Error(`bad output from ${module}: ${String(e)}`));
      }
    });
  });
}
