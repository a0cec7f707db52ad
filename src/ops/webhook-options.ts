/**
 * Options of the Alertmanager rollback webhook, their validation, and the bearer-token check.
 * @packageDocumentation
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GrayConfigError } from '../core/errors.js';
import { requireRegistryStage, requireService } from '../routing/validate.js';
import { GRAYLANE_ALERTS } from './prometheus-rules.js';

/** What the handler needs from a registry: the graylane/routing registries fit. */
export interface StageSwitch {
  /** Adds `stage` to (`true`) or removes it from (`false`) the service's `disabledStages`. */
  setStageDisabled(service: string, stage: string, disabled: boolean): Promise<void>;
  /** The service's current rules; when present, a stage already in the wanted state is not written again. */
  getService?(service: string): { readonly rules: { readonly disabledStages: readonly string[] } };
}

/** A disable or resume the handler carried out. Passed to `onAction`. */
export interface WebhookRollbackEvent {
  /** The registry service. */
  readonly service: string;
  /** The stage disabled or resumed. */
  readonly stage: string;
  /** `'disable'` (an alert fired) or `'resume'` (every alert of the stage resolved; only with `resumeOnResolved`). */
  readonly action: 'disable' | 'resume';
  /** The alert names that were firing (disable) or just resolved (resume). */
  readonly alerts: readonly string[];
}

/** A pino-compatible logger (`info`, `warn`, `error`). Fields never include the token or the body. */
export interface WebhookLogger {
  /** Each disable / resume. */
  info(fields: object, message: string): void;
  /** Refused requests (status and reason, never the credentials). */
  warn(fields: object, message: string): void;
  /** Registry failures. */
  error(fields: object, message: string): void;
}

/** Options of {@link alertmanagerRollbackHandler}. */
export interface AlertmanagerRollbackOptions {
  /** The registry whose stages are disabled: a graylane/routing registry (static, file, etcd). Required. */
  readonly registry: StageSwitch;
  /**
   * Services the handler may act on: names (each with `stages`), or `{ [service]: stages }`. An
   * alert naming any other service or stage is refused (422). Required.
   */
  readonly services: readonly string[] | Readonly<Record<string, readonly string[]>>;
  /** Stages that may be disabled when `services` is a list of names. Default `['canary']`. */
  readonly stages?: readonly string[];
  /**
   * Bearer token(s) Alertmanager sends (`http_config.authorization.credentials`), each at least 16
   * characters. Compared in constant time; never logged. Required.
   */
  readonly token: string | readonly string[];
  /** Re-enable a stage when every alert that disabled it has resolved (only stages this handler disabled). Default `false`. */
  readonly resumeOnResolved?: boolean;
  /** Alert names acted on; others are ignored (200). Default `['GraylaneStageErrorRatio', 'GraylaneStageLatencyP99']`. */
  readonly alertNames?: readonly string[];
  /** Largest body accepted, in bytes; larger is refused with 413. Default `262144` (256 KiB). */
  readonly maxBodyBytes?: number;
  /** Most alerts per payload; more is refused with 400. Default `1000`. */
  readonly maxAlerts?: number;
  /** Time allowed to receive the body, in ms; slower is refused with 408. Default `10000`. */
  readonly bodyTimeoutMs?: number;
  /** A `resolved` alert whose `endsAt` is older than this many ms is a replay and is ignored. Default `600000` (10 min). */
  readonly maxResolvedAgeMs?: number;
  /** Called after each disable / resume the registry accepted. Errors thrown are ignored. Default: none. */
  readonly onAction?: (event: WebhookRollbackEvent) => void;
  /** Logs actions, refusals and registry failures. Default: none. */
  readonly logger?: WebhookLogger;
  /** Clock in ms. Default `Date.now`. */
  readonly now?: () => number;
}

/** Options after validation. Internal. */
export interface ResolvedWebhookOptions {
  readonly registry: StageSwitch;
  readonly allowed: ReadonlyMap<string, ReadonlySet<string>>;
  readonly checkToken: (authorization: string | undefined) => boolean;
  readonly resumeOnResolved: boolean;
  readonly alertNames: ReadonlySet<string>;
  readonly maxBodyBytes: number;
  readonly maxAlerts: number;
  readonly bodyTimeoutMs: number;
  readonly maxResolvedAgeMs: number;
  readonly onAction: ((event: WebhookRollbackEvent) => void) | undefined;
  readonly logger: WebhookLogger | undefined;
  readonly now: () => number;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

function tokenCheck(token: string | readonly string[]): (authorization: string | undefined) => boolean {
  const tokens = typeof token === 'string' ? [token] : token;
  if (!Array.isArray(tokens) || tokens.length === 0 || !tokens.every((t) => typeof t === 'string' && t.length >= 16 && t.length <= 4096 && /^[\x21-\x7e]+$/.test(t))) {
    throw new GrayConfigError('graylane/ops: webhook `token` must be one or more secrets of 16 to 4096 printable ASCII characters (no spaces), as set in Alertmanager\'s http_config.authorization.credentials.');
  }
  const digests = tokens.map(digest);
  return (authorization) => {
    if (typeof authorization !== 'string' || authorization.length > 4200) return false;
    const match = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization);
    if (match === null) return false;
    const mine = digest(match[1]!);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(mine, d) || ok;
    return ok;
  };
}

function count(value: number | undefined, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new GrayConfigError(`graylane/ops: webhook ${name} must be an integer from ${min} to ${max}, got ${String(value)}.`);
  }
  return value;
}

function allowedStages(services: AlertmanagerRollbackOptions['services'], stages: readonly string[] | undefined): Map<string, ReadonlySet<string>> {
  const stageSet = (list: unknown, where: string): ReadonlySet<string> => {
    if (!Array.isArray(list) || list.length === 0) throw new GrayConfigError(`graylane/ops: webhook ${where} must be a non-empty array of stages, e.g. ['canary'].`);
    return new Set(list.map((s, i) => requireRegistryStage(s, `graylane/ops webhook ${where}[${i}]`)));
  };
  const out = new Map<string, ReadonlySet<string>>();
  if (Array.isArray(services)) {
    const set = stageSet(stages ?? ['canary'], 'stages');
    for (const [i, s] of services.entries()) out.set(requireService(s, `graylane/ops webhook services[${i}]`), set);
  } else if (typeof services === 'object' && services !== null) {
    if (stages !== undefined) throw new GrayConfigError('graylane/ops: webhook `stages` is only used with a list of services; put the stages in the `services` map.');
    for (const [s, list] of Object.entries(services)) out.set(requireService(s, 'graylane/ops webhook services'), stageSet(list, `services.${s}`));
  }
  if (out.size === 0) throw new GrayConfigError("graylane/ops: webhook needs `services`, e.g. ['orders'] or { orders: ['canary'] }.");
  return out;
}

/** Validates the options. @throws GrayConfigError. Internal. */
export function resolveWebhookOptions(options: AlertmanagerRollbackOptions): ResolvedWebhookOptions {
  if (typeof options?.registry?.setStageDisabled !== 'function') {
    throw new GrayConfigError('graylane/ops: webhook needs a `registry` with setStageDisabled(service, stage, disabled) (a graylane/routing registry).');
  }
  const names = options.alertNames ?? GRAYLANE_ALERTS;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && /^[A-Za-z_:][A-Za-z0-9_:]*$/.test(n))) {
    throw new GrayConfigError('graylane/ops: webhook alertNames must be a non-empty array of alert names.');
  }
  for (const [name, fn] of [['onAction', options.onAction], ['now', options.now]] as const) {
    if (fn !== undefined && typeof fn !== 'function') throw new GrayConfigError(`graylane/ops: webhook ${name} must be a function.`);
  }
  return {
    registry: options.registry,
    allowed: allowedStages(options.services, options.stages),
    checkToken: tokenCheck(options.token),
    resumeOnResolved: options.resumeOnResolved === true,
    alertNames: new Set(names),
    maxBodyBytes: count(options.maxBodyBytes, 262_144, 'maxBodyBytes', 1024, 64 * 1024 * 1024),
    maxAlerts: count(options.maxAlerts, 1000, 'maxAlerts', 1, 100_000),
    bodyTimeoutMs: count(options.bodyTimeoutMs, 10_000, 'bodyTimeoutMs', 1, 600_000),
    maxResolvedAgeMs: count(options.maxResolvedAgeMs, 600_000, 'maxResolvedAgeMs', 1, 30 * 86_400_000),
    onAction: options.onAction,
    logger: options.logger,
    now: options.now ?? Date.now,
  };
}
