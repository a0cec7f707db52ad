/**
 * `graylane dashboard`: serves the live lane view on 127.0.0.1 for a file or etcd registry and the
 * services' metrics endpoints, until SIGINT / SIGTERM.
 * @packageDocumentation
 */
import { parseArgs } from 'node:util';
import { startDashboard } from '../dashboard/server.js';
import { createEtcdRegistry } from '../routing/etcd-registry.js';
import { createFileRegistry } from '../routing/file-registry.js';
import type { GrayRegistry } from '../routing/types.js';
import { traceCall } from './trace.js';

/** The usage lines of `graylane dashboard`. */
export const DASHBOARD_USAGE = `  graylane dashboard --registry <file.json | etcd://host:port> [--prefix /graylane] [--metrics [service=]<url>]...
                    [--service name]... [--port 7431] [--token T | env GRAYLANE_DASHBOARD_TOKEN] [--interval 2000]
                    [--window 30000] [--max-error-rate 0.005] [--max-p99-ms 2000]
      serve a live view of the lanes on http://127.0.0.1:<port>/ (read-only without a token)`;

function parseMetrics(values: readonly string[]): Array<{ url: string; service?: string }> {
  return values.map((v) => {
    const named = /^([A-Za-z0-9_][A-Za-z0-9_.-]*)=(https?:\/\/.+)$/.exec(v);
    if (named) return { service: named[1]!, url: named[2]! };
    if (!/^https?:\/\/./.test(v)) throw new Error(`--metrics ${v}: expected an http(s):// URL, optionally prefixed with service=`);
    return { url: v };
  });
}

const num = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${flag} ${v}: expected a number`);
  return n;
};

/** Runs `graylane dashboard` with its arguments; resolves to the exit code once stopped by a signal. */
export async function dashboard(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        registry: { type: 'string' },
        prefix: { type: 'string' },
        metrics: { type: 'string', multiple: true, default: [] },
        service: { type: 'string', multiple: true, default: [] },
        port: { type: 'string', default: '7431' },
        token: { type: 'string' },
        interval: { type: 'string' },
        window: { type: 'string' },
        'max-error-rate': { type: 'string' },
        'max-p99-ms': { type: 'string' },
      },
    }));
  } catch (e) {
    console.error(`graylane dashboard: ${(e as Error).message}\nusage:\n${DASHBOARD_USAGE}`);
    return 2;
  }
  if (values.registry === undefined) {
    console.error(`graylane dashboard: --registry is required\nusage:\n${DASHBOARD_USAGE}`);
    return 2;
  }
  let lastError: string | undefined;
  const onError = (e: Error): void => {
    lastError = e.message.slice(0, 300);
  };
  let registry: GrayRegistry;
  try {
    const where = values.registry;
    if (where.startsWith('etcd://')) {
      registry = createEtcdRegistry({ endpoints: `http://${where.slice('etcd://'.length)}`, ...(values.prefix === undefined ? {} : { prefix: values.prefix }), onError });
    } else {
      registry = createFileRegistry(where, { onError });
    }
  } catch (e) {
    console.error(`graylane dashboard: ${(e as Error).message}`);
    return 2;
  }
  try {
    const board = await startDashboard({
      registry,
      where: values.registry,
      registryError: () => lastError,
      services: values.service,
      metrics: parseMetrics(values.metrics),
      port: num('--port', values.port),
      token: values.token ?? (process.env.GRAYLANE_DASHBOARD_TOKEN || undefined),
      trace: traceCall,
      intervalMs: num('--interval', values.interval),
      windowMs: num('--window', values.window),
      maxErrorRate: num('--max-error-rate', values['max-error-rate']),
      maxP99Ms: num('--max-p99-ms', values['max-p99-ms']),
    });
    console.log(`graylane dashboard on ${board.url}${board.state().actions ? ' (actions enabled)' : ' (read-only)'}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await board.close();
    return 0;
  } catch (e) {
    console.error(`graylane dashboard: ${(e as Error).message}`);
    return 2;
  } finally {
    await registry.close();
  }
}
