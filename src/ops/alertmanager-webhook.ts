/**
 * Alertmanager webhook → rollback: a `node:http` request listener (also an Express / Connect route
 * handler) that turns graylane's firing alerts into `setStageDisabled(service, stage, true)` and,
 * when configured, resolved ones back. Authenticated, idempotent, ordered against replays, bounded.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseWebhookPayload, type WebhookAlert } from './alertmanager-payload.js';
import { resolveWebhookOptions, type AlertmanagerRollbackOptions, type ResolvedWebhookOptions } from './webhook-options.js';
import { SERVICE_LABEL, STAGE_LABEL } from './rule-options.js';
import { requireRegistryStage, requireService } from '../routing/validate.js';

/** What the handler answered: the HTTP status and the JSON body. */
export interface WebhookResult {
  /** 200 done; 400 malformed; 401 bad token; 405/408/413/415 transport; 422 unknown service or stage; 503 registry failed (Alertmanager retries). */
  readonly status: number;
  /** The JSON body sent. */
  readonly body: {
    /** `true` for 200. */
    readonly ok: boolean;
    /** `service/stage` pairs disabled by this request. */
    readonly disabled: readonly string[];
    /** `service/stage` pairs resumed by this request. */
    readonly resumed: readonly string[];
    /** Alerts not acted on: other alert names, or replays older than what was already applied. */
    readonly ignored: number;
    /** Why the request was refused. */
    readonly error?: string;
  };
}

/** The handler: call it as a `node:http` listener or Express route; `handle` serves other frameworks. */
export interface AlertmanagerRollbackHandler {
  /** Handles one request (POST, `Authorization: Bearer <token>`, JSON body). Never throws. */
  (req: IncomingMessage, res: ServerResponse): void;
  /** Handles a body already read (e.g. Fastify's raw body) with the request's `Authorization` header. Never rejects. */
  handle(body: string | Uint8Array, authorization: string | undefined): Promise<WebhookResult>;
}

interface AlertState { active: boolean; at: number }
interface Touch { service: string; stage: string; firing: string[]; resolved: string[] }

const isValid = (check: () => unknown): boolean => {
  try {
    check();
    return true;
  } catch {
    return false;
  }
};

const refuse = (status: number, error: string): WebhookResult => ({ status, body: { ok: false, disabled: [], resumed: [], ignored: 0, error } });

/** Processes payloads one at a time, keeping per-stage alert state for ordering and resume. */
class Rollback {
  /** `service\0stage` → alert name → last applied state. Bounded by the configured services × stages × alert names. */
  private readonly alerts = new Map<string, Map<string, AlertState>>();
  /** Stages this handler disabled (only these are resumed). */
  private readonly disabledByUs = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ResolvedWebhookOptions) {}

  handle(text: string, authorization: string | undefined): Promise<WebhookResult> {
    if (!this.o.checkToken(authorization)) return Promise.resolve(refuse(401, 'unauthorized'));
    const run = this.queue.then(() => this.process(text));
    this.queue = run.catch(() => undefined);
    return run.catch(() => refuse(500, 'internal error'));
  }

  private validate(alerts: readonly WebhookAlert[]): { touches: Map<string, Touch>; mine: Array<[WebhookAlert, string]>; ignored: number } | string {
    const touches = new Map<string, Touch>();
    const mine: Array<[WebhookAlert, string]> = [];
    let ignored = 0;
    for (const a of alerts) {
      const name = Object.hasOwn(a.labels, 'alertname') ? a.labels['alertname']! : '';
      if (!this.o.alertNames.has(name)) {
        ignored++;
        continue;
      }
      const service = Object.hasOwn(a.labels, SERVICE_LABEL) ? a.labels[SERVICE_LABEL]! : undefined;
      const stage = Object.hasOwn(a.labels, STAGE_LABEL) ? a.labels[STAGE_LABEL]! : undefined;
      if (service === undefined || !isValid(() => requireService(service, 'webhook')) || stage === undefined || !isValid(() => requireRegistryStage(stage, 'webhook'))) {
        return `alert ${name} needs valid ${SERVICE_LABEL} and ${STAGE_LABEL} labels`;
      }
      const stages = this.o.allowed.get(service);
      if (stages === undefined) return `alert ${name} names a service that is not configured`;
      if (!stages.has(stage)) return `alert ${name} names a stage of ${service} that is not configured`;
      const key = `${service}\u0000${stage}`;
      if (!touches.has(key)) touches.set(key, { service, stage, firing: [], resolved: [] });
      mine.push([a, key]);
    }
    return { touches, mine, ignored };
  }

  private async process(text: string): Promise<WebhookResult> {
    const parsed = parseWebhookPayload(text, this.o.maxAlerts);
    if (!parsed.ok) return refuse(400, parsed.reason);
    const checked = this.validate(parsed.alerts);
    if (typeof checked === 'string') return refuse(422, checked);
    let { ignored } = checked;
    const now = this.o.now();
    for (const [a, key] of checked.mine) {
      const name = a.labels['alertname']!;
      let states = this.alerts.get(key);
      if (states === undefined) this.alerts.set(key, (states = new Map()));
      const last = states.get(name);
      const at = a.status === 'firing' ? a.startsAt : a.endsAt!;
      const stale = (last !== undefined && at < last.at) ||
        (a.status === 'resolved' && (at < now - this.o.maxResolvedAgeMs || at > now + 300_000));
      if (stale) {
        ignored++;
        continue;
      }
      states.set(name, { active: a.status === 'firing', at });
      const touch = checked.touches.get(key)!;
      (a.status === 'firing' ? touch.firing : touch.resolved).push(name);
    }
    const disabled: string[] = [];
    const resumed: string[] = [];
    for (const [key, t] of checked.touches) {
      const active = [...this.alerts.get(key)!.entries()].filter(([, s]) => s.active).map(([n]) => n);
      if (active.length > 0 && t.firing.length > 0) {
        if (!(await this.apply(t, true, active))) return refuse(503, 'registry unavailable; retry');
        this.disabledByUs.add(key);
        disabled.push(`${t.service}/${t.stage}`);
      } else if (active.length === 0 && t.resolved.length > 0 && this.o.resumeOnResolved && this.disabledByUs.has(key)) {
        if (!(await this.apply(t, false, t.resolved))) return refuse(503, 'registry unavailable; retry');
        this.disabledByUs.delete(key);
        resumed.push(`${t.service}/${t.stage}`);
      }
    }
    return { status: 200, body: { ok: true, disabled, resumed, ignored } };
  }

  /** Writes the registry (skipped when it already holds that state); `false` when it failed. */
  private async apply(t: Touch, disable: boolean, alerts: readonly string[]): Promise<boolean> {
    const { registry, logger } = this.o;
    try {
      const current = registry.getService?.(t.service).rules.disabledStages.includes(t.stage);
      if (current !== disable) await registry.setStageDisabled(t.service, t.stage, disable);
    } catch (err) {
      logger?.error({ service: t.service, stage: t.stage, err: (err as Error)?.message }, 'graylane/ops: registry refused the rollback; Alertmanager will retry');
      return false;
    }
    const event = { service: t.service, stage: t.stage, action: disable ? 'disable' : 'resume', alerts: [...alerts] } as const;
    logger?.info(event, disable ? 'graylane/ops: stage disabled by alert' : 'graylane/ops: stage resumed, alerts resolved');
    try {
      this.o.onAction?.(event);
    } catch {
      // A throwing hook must not turn a done rollback into a retry.
    }
    return true;
  }
}

function send(res: ServerResponse, result: WebhookResult, close: boolean): void {
  if (res.headersSent || res.writableEnded) return;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (result.status === 401) headers['www-authenticate'] = 'Bearer';
  if (result.status === 405) headers['allow'] = 'POST';
  if (close) headers['connection'] = 'close';
  res.writeHead(result.status, headers);
  res.end(JSON.stringify(result.body));
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function decode(body: string | Uint8Array): string | undefined {
  if (typeof body === 'string') return body;
  if (!(body instanceof Uint8Array)) return undefined;
  try {
    return decoder.decode(body);
  } catch {
    return undefined;
  }
}

/**
 * Creates the webhook handler. Point an Alertmanager `webhook_configs` receiver at it (with
 * `send_resolved: true` for `resumeOnResolved`, and `http_config.authorization.credentials` = the
 * token). Each graylane alert (labels `alertname`, `graylane_service`, `release_stage`) that fires
 * disables its stage; resolved alerts re-enable it only with `resumeOnResolved`, once every alert of
 * that stage resolved, and only stages this handler disabled. Requests are processed one at a time.
 *
 * Refusals: 405 not POST, 401 bad or missing token (the body is not read), 415 not JSON, 413 too
 * large, 408 too slow, 400 malformed (strict schema, `version: '4'`), 422 an alert naming a service
 * or stage not configured (nothing is applied), 503 the registry failed (Alertmanager retries).
 * Replays are harmless: disabling is idempotent, and an alert older than the state already applied
 * for it (a `firing` that started before the last `resolved`, a `resolved` before the last
 * `firing`, or a `resolved` older than `maxResolvedAgeMs`) is ignored.
 *
 * @throws GrayConfigError on bad options (no registry, services, stages, weak token).
 * @example
 * http.createServer(alertmanagerRollbackHandler({ registry, services: ['orders'], token: process.env.GRAYLANE_WEBHOOK_TOKEN! })).listen(9095);
 */
export function alertmanagerRollbackHandler(options: AlertmanagerRollbackOptions): AlertmanagerRollbackHandler {
  const o = resolveWebhookOptions(options);
  const rollback = new Rollback(o);
  const log = (status: number, reason: string | undefined): void => {
    if (status !== 200) o.logger?.warn({ status, reason }, 'graylane/ops: webhook request refused');
  };
  const handle = async (body: string | Uint8Array, authorization: string | undefined): Promise<WebhookResult> => {
    let result: WebhookResult;
    if (!o.checkToken(authorization)) result = refuse(401, 'unauthorized');
    else if ((typeof body === 'string' ? Buffer.byteLength(body) : body?.byteLength ?? Infinity) > o.maxBodyBytes) result = refuse(413, 'body too large');
    else {
      const text = decode(body);
      result = text === undefined ? refuse(400, 'body is not UTF-8') : await rollback.handle(text, authorization);
    }
    log(result.status, result.body.error);
    return result;
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      const finish = (result: WebhookResult, close = false): void => {
        log(result.status, result.body.error);
        send(res, result, close);
      };
      if (req.method !== 'POST') return finish(refuse(405, 'POST only'), true);
      const authorization = req.headers.authorization;
      if (!o.checkToken(authorization)) return finish(refuse(401, 'unauthorized'), true);
      const type = req.headers['content-type'];
      if (typeof type !== 'string' || !/^application\/json\s*(;|$)/i.test(type)) return finish(refuse(415, 'content-type must be application/json'), true);
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > o.maxBodyBytes) return finish(refuse(413, 'body too large'), true);
      // Mounted behind a body parser (Express): use what it read.
      const parsedBody = (req as { body?: unknown }).body;
      if (req.readableEnded && parsedBody !== undefined) {
        const text = typeof parsedBody === 'string' || parsedBody instanceof Uint8Array ? parsedBody : JSON.stringify(parsedBody);
        void handle(text ?? '', authorization).then((r) => send(res, r, false));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const stop = (result?: WebhookResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.removeListener('data', onData);
        if (result !== undefined) {
          finish(result, true);
          res.once('finish', () => req.destroy());
        }
      };
      const timer = setTimeout(() => stop(refuse(408, 'body not received in time')), o.bodyTimeoutMs);
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > o.maxBodyBytes) return stop(refuse(413, 'body too large'));
        chunks.push(chunk);
      };
      req.on('data', onData);
      req.once('error', () => stop());
      req.once('aborted', () => stop());
      req.once('end', () => {
        if (done) return;
        stop();
        const text = decode(Buffer.concat(chunks, size));
        if (text === undefined) return finish(refuse(400, 'body is not UTF-8'));
        void rollback.handle(text, authorization).then((r) => finish(r));
      });
    } catch {
      send(res, refuse(500, 'internal error'), true);
    }
  };
  return Object.assign(listener, { handle });
}
