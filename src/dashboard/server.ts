/**
 * `startDashboard`: the dashboard's HTTP server on 127.0.0.1 — the page, its state as server-sent
 * events (bounded clients), the stage and rollout actions (token, confirmation on the page) and the
 * trace box.
 * @packageDocumentation
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GrayConfigError } from '../core/errors.js';
import { DEFAULT_STAGE } from '../core/stage.js';
import type { HopTrace } from '../observe/hop-trace.js';
import { operateRollout } from '../rollout/operate.js';
import { isRolloutRegistry } from '../routing/rollout-registry.js';
import type { GrayRegistry } from '../routing/types.js';
import { allowedHosts, BodyError, hostAllowed, postRefusal, readJson, tokenMatches, TOKEN_HEADER } from './guard.js';
import { PAGE_CSS, PAGE_HTML } from './page.js';
import { PAGE_JS } from './page-script.js';
import { DASHBOARD_ROLLOUT_ACTIONS, type DashboardRolloutAction } from './rollouts.js';
import { scrapeMetrics, type Reading, type ScrapeLimits } from './scrape.js';
import { buildState, type DashboardState, type SourceView } from './state.js';
import { windowCounts } from './window.js';

/** The trace box's call: graylane trace's `traceCall`. */
export type DashboardTrace = (req: {
  readonly target: string; readonly method?: string; readonly stage: string;
  readonly headers: Readonly<Record<string, string>>; readonly timeoutMs: number;
}) => Promise<{ readonly ok: boolean; readonly status: string; readonly trace: HopTrace; readonly mismatched: number }>;

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** The registry shown and acted on. Required. */
  readonly registry: GrayRegistry;
  /** Where the registry is, shown on the page. Default `''`. */
  readonly where?: string;
  /** The registry's last background error (e.g. from its `onError` hook). Default: none. */
  readonly registryError?: () => string | undefined;
  /** Services to show besides those found. Default `[]`. */
  readonly services?: readonly string[];
  /** Finds services on every refresh besides the registry's own `listServices()` (e.g. the names in a registry file). Default: none. */
  readonly listServices?: () => Iterable<string>;
  /** Metrics endpoints; `service` names the registry service it belongs to. Default `[]`. */
  readonly metrics?: ReadonlyArray<{ readonly url: string; readonly service?: string }>;
  /** Port on 127.0.0.1; `0` picks a free one. Default `7431`. */
  readonly port?: number;
  /** Token the actions need; none means read-only. At least 16 characters. Default: none. */
  readonly token?: string;
  /** The trace box's call; none hides the box. Default: none. */
  readonly trace?: DashboardTrace;
  /** Scrape and refresh interval in ms. Default `2000`. */
  readonly intervalMs?: number;
  /** Window of the rates in ms (the guard's default window). Default `30000`. */
  readonly windowMs?: number;
  /** Error ratio above which a stage is flagged (the guard's default). Default `0.005`. */
  readonly maxErrorRate?: number;
  /** p99 in ms above which a stage is flagged (the guard's default). Default `2000`. */
  readonly maxP99Ms?: number;
  /** Most live pages (event streams) at once; more get 503. Default `16`. */
  readonly maxClients?: number;
  /** Timeout and size cap of each scrape. Default: 2 s, 4 MiB. */
  readonly scrape?: ScrapeLimits;
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  /** The state as last pushed. */
  readonly state: () => DashboardState;
  /** Stops the server, the scrapes and the registry watches (services and rollouts; not the registry). Idempotent. */
  close(): Promise<void>;
}

interface Source { readonly url: string; readonly service: string | undefined; readings: Reading[]; status: SourceView['status']; error?: string; busy: boolean }

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...HEADERS, 'content-type': type });
  res.end(body);
}
const json = (res: http.ServerResponse, status: number, body: unknown): void => send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
/** Answers a body `readJson` refused: 413 (and the connection closed) when too large, else 400. */
function bodyRefused(res: http.ServerResponse, e: Error): void {
  if (res.headersSent) return;
  const status = e instanceof BodyError ? e.status : 400;
  if (status === 413) res.setHeader('connection', 'close');
  json(res, status, { error: String(e.message).slice(0, 300) });
}

/** Most services found by discovery (the registry's list and `listServices`); more are not shown. */
const MAX_SERVICES = 1000;

/** Most characters of a rollout action's reason; a longer one is cut. */
const MAX_REASON = 200;
/** The reason recorded when the page gives none. */
const DEFAULT_REASON: Readonly<Record<DashboardRolloutAction, string>> = { pause: 'paused from the dashboard', resume: 'resumed from the dashboard', abort: 'rolled back from the dashboard' };
const own = (o: object, key: string): unknown => (Object.hasOwn(o, key) ? (o as Record<string, unknown>)[key] : undefined);

/** The `/api/rollout` body checked: `{ name, action, reason? }`, or `undefined` when it is not one. */
function rolloutRequest(body: unknown): { name: string; action: DashboardRolloutAction; reason: string } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const name = own(body, 'name');
  const action = own(body, 'action');
  const reason = own(body, 'reason');
  if (typeof name !== 'string' || name === '' || name.length > 128) return undefined;
  if (typeof action !== 'string' || !(DASHBOARD_ROLLOUT_ACTIONS as readonly string[]).includes(action)) return undefined;
  if (reason !== undefined && typeof reason !== 'string') return undefined;
  const given = reason?.trim().slice(0, MAX_REASON) ?? '';
  return { name, action: action as DashboardRolloutAction, reason: given === '' ? DEFAULT_REASON[action as DashboardRolloutAction] : given };
}

function requirePositive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new GrayConfigError(`graylane dashboard: ${name} must be a positive number, got ${String(value)}.`);
  return v;
}

/**
 * Starts the dashboard on 127.0.0.1 (never another interface). Resolves once listening.
 * @throws GrayConfigError for a short token or bad numbers.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { registry, token } = options;
  if (token !== undefined && token.length < 16) throw new GrayConfigError('graylane dashboard: the token must be at least 16 characters (e.g. `openssl rand -hex 16`).');
  const intervalMs = requirePositive('intervalMs', options.intervalMs, 2000);
  const windowMs = requirePositive('windowMs', options.windowMs, 30_000);
  const maxClients = requirePositive('maxClients', options.maxClients, 16);
  const thresholds = { maxErrorRate: requirePositive('maxErrorRate', options.maxErrorRate, 0.005), maxP99Ms: requirePositive('maxP99Ms', options.maxP99Ms, 2000), windowMs };
  const sources: Source[] = (options.metrics ?? []).map((m) => ({ url: m.url, service: m.service, readings: [], status: 'pending', busy: false }));
  const aliases = new Map<string, string>();
  const clients = new Set<http.ServerResponse>();
  const unwatch = new Map<string, () => void>();
  const unwatchRollouts = new Map<string, () => void>();
  let traces = 0;
  let closed = false;
  let current: DashboardState;
  let pushTimer: NodeJS.Timeout | undefined;

  const knownServices = (): Set<string> => {
    const names = new Set(options.services ?? []);
    try {
      // The registry's own list (every graylane registry, etcd included), then the option's.
      for (const n of registry.listServices?.() ?? []) if (names.size < MAX_SERVICES) names.add(n);
      for (const n of options.listServices?.() ?? []) if (names.size < MAX_SERVICES) names.add(n);
    } catch {
      // discovery is best effort
    }
    for (const s of sources) if (s.service !== undefined) names.add(s.service);
    return names;
  };

  // A source without `service=` is named by its gRPC server metrics when they name one service.
  const inferService = (s: Source): string | undefined => {
    const keys = [...(s.readings[s.readings.length - 1]?.served.keys() ?? [])].filter((k) => k !== '');
    return keys.length === 1 ? aliases.get(keys[0]!) ?? keys[0] : undefined;
  };

  const rebuild = (): DashboardState => {
    const names = knownServices();
    current = buildState({
      registry, where: options.where ?? '', registryError: options.registryError?.(), services: names, aliases, thresholds, actions: token !== undefined,
      sources: sources.map((s) => ({ view: { url: s.url, service: s.service ?? inferService(s), status: s.status, ...(s.error === undefined ? {} : { error: s.error }) }, window: windowCounts(s.readings) })),
    });
    for (const svc of current.services) {
      if (!unwatch.has(svc.name) && unwatch.size < 1000) unwatch.set(svc.name, registry.watchService(svc.name, schedulePush));
    }
    // A rollout's change (an advance, a pause from the CLI, an abort) reaches the page at once, not on the next scrape.
    if (isRolloutRegistry(registry)) {
      for (const r of current.rollouts) {
        if (!unwatchRollouts.has(r.name) && unwatchRollouts.size < 1000) unwatchRollouts.set(r.name, registry.watchRollout(r.name, schedulePush));
      }
    }
    return current;
  };

  const push = (): void => {
    const frame = `data: ${JSON.stringify(rebuild())}\n\n`;
    for (const res of clients) {
      // A page that stops reading is dropped rather than buffered without bound.
      if (res.writableLength > 1024 * 1024) res.destroy();
      else res.write(frame);
    }
  };
  function schedulePush(): void {
    if (closed || pushTimer !== undefined) return;
    pushTimer = setTimeout(() => {
      pushTimer = undefined;
      push();
    }, 50);
  }

  const scrapeOne = async (s: Source): Promise<void> => {
    if (s.busy) return;
    s.busy = true;
    try {
      const reading = await scrapeMetrics(s.url, options.scrape);
      s.readings.push(reading);
      while (s.readings.length > 2 && reading.at - s.readings[0]!.at > windowMs) s.readings.shift();
      if (s.readings.length > 1000) s.readings.shift();
      s.status = 'ok';
      s.error = undefined;
      if (s.service !== undefined) for (const grpcService of reading.served.keys()) if (grpcService !== '') aliases.set(grpcService, s.service);
    } catch (e) {
      s.status = 'error';
      const err = e as Error;
      s.error = err.name === 'TimeoutError' ? 'timed out' : String((err.cause as Error | undefined)?.message ?? err.message).slice(0, 200);
    } finally {
      s.busy = false;
    }
  };
  const tick = async (): Promise<void> => {
    await Promise.all(sources.map(scrapeOne));
    if (!closed) push();
  };
  const ticker = setInterval(() => void tick(), intervalMs);
  ticker.unref();

  const hosts = new Set<string>();
  const server = http.createServer((req, res) => {
    if (!hostAllowed(req, hosts)) return send(res, 421, 'text/plain; charset=utf-8', 'graylane dashboard: unexpected Host header (open it at http://127.0.0.1:<port>/)\n');
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET') {
      switch (path) {
        case '/': return send(res, 200, 'text/html; charset=utf-8', PAGE_HTML);
        case '/app.js': return send(res, 200, 'text/javascript; charset=utf-8', PAGE_JS);
        case '/app.css': return send(res, 200, 'text/css; charset=utf-8', PAGE_CSS);
        case '/state.json': return json(res, 200, current);
        case '/favicon.ico': res.writeHead(204, HEADERS); return void res.end();
        case '/events': {
          if (clients.size >= maxClients) return send(res, 503, 'text/plain; charset=utf-8', 'graylane dashboard: too many open pages\n');
          res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
          res.write(`retry: 2000\ndata: ${JSON.stringify(current)}\n\n`);
          clients.add(res);
          res.on('close', () => clients.delete(res));
          return;
        }
        default: return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      }
    }
    if (req.method !== 'POST' || (path !== '/api/stage' && path !== '/api/rollout' && path !== '/api/trace')) return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    const refusal = postRefusal(req, hosts);
    if (refusal !== undefined) return json(res, 403, { error: refusal });
    if (path !== '/api/trace') {
      if (token === undefined) return json(res, 403, { error: 'read-only: start the dashboard with a token to enable actions' });
      if (!tokenMatches(token, req.headers[TOKEN_HEADER])) return json(res, 401, { error: 'wrong or missing token' });
    }
    if (path === '/api/rollout') {
      void readJson(req, 4096).then(async (body) => {
        const r = rolloutRequest(body);
        if (r === undefined) return json(res, 400, { error: `expected { name, action: ${DASHBOARD_ROLLOUT_ACTIONS.map((a) => `'${a}'`).join(' | ')}, reason? }` });
        if (!isRolloutRegistry(registry)) return json(res, 404, { error: 'this registry stores no rollouts' });
        let op;
        try {
          op = await operateRollout(registry, r.name, r.action, r.reason);
        } catch (e) {
          return json(res, 500, { error: `the registry refused the change: ${String((e as Error).message).slice(0, 300)}` });
        } finally {
          schedulePush();
        }
        if (op === undefined) return json(res, 404, { error: `no rollout '${r.name}' in this registry` });
        const state = op.record?.state ?? op.before.state;
        if (!op.applied) return json(res, 409, { error: `cannot ${r.action} '${r.name}' while it is ${state}`, state });
        json(res, 200, { ok: true, record: op.record });
      }).catch((e: Error) => bodyRefused(res, e));
      return;
    }
    if (path === '/api/stage') {
      void readJson(req, 4096).then(async (body) => {
        const b = body as { service?: unknown; stage?: unknown; disabled?: unknown } | null;
        if (typeof b?.service !== 'string' || typeof b.stage !== 'string' || typeof b.disabled !== 'boolean') return json(res, 400, { error: 'expected { service, stage, disabled }' });
        if (b.stage === DEFAULT_STAGE) return json(res, 400, { error: `the default stage ${DEFAULT_STAGE} cannot be disabled` });
        await registry.setStageDisabled(b.service, b.stage, b.disabled);
        json(res, 200, { ok: true, rules: registry.getService(b.service).rules });
        schedulePush();
      }).catch((e: Error) => bodyRefused(res, e));
      return;
    }
    const trace = options.trace;
    if (trace === undefined) return json(res, 404, { error: 'tracing is not enabled' });
    if (traces >= 4) return json(res, 429, { error: 'too many traces in flight' });
    traces++;
    void readJson(req, 16_384).then(async (body) => {
      const b = body as { target?: unknown; method?: unknown; stage?: unknown; headers?: unknown } | null;
      if (typeof b?.target !== 'string' || b.target.length > 512 || !/^(https?:\/\/\S+|[A-Za-z0-9_.[\]:-]+:\d{1,5})$/.test(b.target)) return json(res, 400, { error: 'target: host:port or an http(s):// URL' });
      const method = typeof b.method === 'string' && b.method !== '' ? b.method.slice(0, 512) : undefined;
      const stage = typeof b.stage === 'string' && b.stage !== '' ? b.stage.slice(0, 64) : 'canary';
      const headers = Object.create(null) as Record<string, string>;
      const given = typeof b.headers === 'object' && b.headers !== null ? Object.entries(b.headers as Record<string, unknown>) : [];
      for (const [k, v] of given.slice(0, 32)) if (typeof v === 'string') headers[k.slice(0, 128)] = v.slice(0, 1024);
      try {
        json(res, 200, await trace({ target: b.target, method, stage, headers, timeoutMs: 5000 }));
      } catch (e) {
        json(res, 200, { ok: false, status: `failed: ${String((e as Error).message).slice(0, 300)}`, trace: { status: 'absent' }, mismatched: 0 });
      }
    }).catch((e: Error) => bodyRefused(res, e)).finally(() => traces--);
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7431, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  for (const h of allowedHosts(port)) hosts.add(h);
  rebuild();
  void tick();
  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    state: () => current,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(ticker);
      clearInterval(heartbeat);
      if (pushTimer !== undefined) clearTimeout(pushTimer);
      for (const stop of unwatch.values()) stop();
      for (const stop of unwatchRollouts.values()) stop();
      for (const res of clients) res.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
