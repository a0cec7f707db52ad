/**
 * Test helper: a real nginx (Debian `nginx`) in the foreground with a temp prefix, on a free
 * loopback port, running a given http-context config file (e.g. examples/nginx/graylane.conf with
 * its listen address and upstream rewritten).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireProgram, startProgram, type Program } from './programs.js';

/** A running nginx. */
export interface RunningNginx {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Its output (error log on stderr), for failure messages. */
  output(): string;
  /** Stops it and removes the prefix. */
  close(): Promise<void>;
}

const accepts = (port: number): Promise<boolean> => new Promise((resolve) => {
  const socket = createConnection(port, '127.0.0.1', () => {
    socket.destroy();
    resolve(true);
  });
  socket.once('error', () => resolve(false));
});

/**
 * Starts nginx with `httpConf` included in `http { }` and `files` written beside it. `httpConf` is
 * given the chosen port through `listen(port)`.
 */
export async function startNginx(httpConf: (port: number) => string, files: Record<string, string> = {}): Promise<RunningNginx> {
  const binary = requireProgram('nginx', 'nginx');
  const prefix = mkdtempSync(join(tmpdir(), 'graylane-nginx-'));
  const port = await freePort();
  for (const dir of ['logs', 'tmp']) mkdirSync(join(prefix, dir));
  writeFileSync(join(prefix, 'graylane.conf'), httpConf(port));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(prefix, name), text);
  const tmp = join(prefix, 'tmp');
  writeFileSync(join(prefix, 'nginx.conf'), [
    'daemon off;', 'master_process on;', 'worker_processes 1;', `pid ${join(prefix, 'nginx.pid')};`, 'error_log stderr warn;',
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'events { worker_connections 512; }',
    'http {', '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(tmp, t)};`),
    '  include graylane.conf;', '}', '',
  ].join('\n'));
  let program: Program;
  try {
    program = await startProgram(binary, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', 'stderr'], () => accepts(port));
  } catch (err) {
    rmSync(prefix, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    output: () => program.output(),
    async close() {
      await program.stop();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
