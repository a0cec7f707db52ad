/**
 * Options of the generated Prometheus rules and their validation (defaults filled in once).
 * @packageDocumentation
 */
import type { GRPC_COUNTER_LABELS } from '../observe/grpc-metrics.js';
import { GrayConfigError } from '../core/errors.js';
import { requireRegistryStage, requireService } from '../routing/validate.js';
import { requireDuration, requireLabelName } from './promql.js';

/** Which graylane metrics a service exposes: `graylane/observe`'s gRPC server or HTTP metrics. */
export type GrayMetricsSource = 'grpc' | 'http';

/** One service the rules watch. */
export interface PrometheusRuleService {
  /** The service's name in the graylane registry (what the webhook disables), e.g. `'orders'`. Required. */
  readonly name: string;
  /** Which metrics it exposes: `'grpc'` (`grpc_server_handled_total`, `grpc_server_handling_seconds`) or `'http'` (`http_requests_total`, `http_request_duration_seconds`). Default `'grpc'`. */
  readonly source?: GrayMetricsSource;
  /** Label equality matchers selecting its series, e.g. `{ job: 'orders', namespace: 'shop' }`. Default `{ job: <name> }`. */
  readonly match?: Readonly<Record<string, string>>;
  /** Error-ratio limit for this service. Default: the top-level `maxErrorRate`. */
  readonly maxErrorRate?: number;
  /** p99 limit in ms for this service. Default: the top-level `maxP99Ms`. */
  readonly maxP99Ms?: number;
}

/** Options of {@link prometheusRules} and {@link prometheusRuleManifest}. */
export interface PrometheusRulesOptions {
  /** The services to watch: names (gRPC metrics, `job` = name) or {@link PrometheusRuleService} objects. Required, at least one. */
  readonly services: ReadonlyArray<string | PrometheusRuleService>;
  /** Stages whose metrics are checked and which the alerts ask to disable. Default `['canary']`. */
  readonly stages?: readonly string[];
  /** Alert when failed / all requests over `window` exceeds this. Default `0.005` (0.5 %, as the rollback guard). */
  readonly maxErrorRate?: number;
  /** Alert when the p99 latency over `window` exceeds this many ms. Default `2000` (as the rollback guard). */
  readonly maxP99Ms?: number;
  /** Fewest requests of the stage within `window` before either alert can fire. Default `20` (the guard's `minSamples`). */
  readonly minRequests?: number;
  /** Range of the `rate()` / `increase()` windows, a PromQL duration. Default `'1m'`. */
  readonly window?: string;
  /** How long a condition must hold before the alert fires (`for:`). Default `'1m'`; `'0s'` fires at once. */
  readonly for?: string;
  /** The rule group's evaluation `interval`. Default: none (Prometheus's `evaluation_interval`). */
  readonly interval?: string;
  /** The rule group's name. Default `'graylane-rollback'`. */
  readonly groupName?: string;
  /** gRPC codes that do not count as failures (the rollback guard's default). Default `['OK', 'CANCELLED']`. */
  readonly grpcOkCodes?: readonly string[];
  /** Extra labels on every alert, e.g. `{ severity: 'page' }`. Default `{ severity: 'critical' }`. */
  readonly alertLabels?: Readonly<Record<string, string>>;
}

/** The stage label graylane's metrics carry, bound at compile time to the label list in `graylane/observe`. */
export const STAGE_LABEL: (typeof GRPC_COUNTER_LABELS)[number] = 'release_stage';
/** The gRPC code label (go-grpc-prometheus's name, as `graylane/observe` records it). */
export const GRPC_CODE_LABEL: (typeof GRPC_COUNTER_LABELS)[number] = 'grpc_code';
/** The alert and recording-rule label naming the registry service: `graylane_service`. */
export const SERVICE_LABEL = 'graylane_service';

const GRPC_CODES = new Set(['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED']);

/** A service after validation. Internal. */
export interface ResolvedService {
  readonly name: string;
  readonly source: GrayMetricsSource;
  readonly match: ReadonlyArray<readonly [string, string]>;
  readonly maxErrorRate: number;
  readonly maxP99Ms: number;
}

/** Options after validation. Internal. */
export interface ResolvedRulesOptions {
  readonly services: readonly ResolvedService[];
  readonly stages: readonly string[];
  readonly minRequests: number;
  readonly window: string;
  readonly for: string;
  readonly interval: string | undefined;
  readonly groupName: string;
  readonly grpcOkCodes: readonly string[];
  readonly alertLabels: ReadonlyArray<readonly [string, string]>;
}

function ratio(value: number | undefined, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new GrayConfigError(`graylane/ops: ${where} must be from 0 to below 1 (0.005 = 0.5 %), got ${String(value)}.`);
  }
  return value;
}

function positive(value: number | undefined, fallback: number, where: string, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new GrayConfigError(`graylane/ops: ${where} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}.`);
  }
  return value;
}

function labelPairs(raw: Readonly<Record<string, string>> | undefined, where: string, reserved: readonly string[]): Array<readonly [string, string]> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new GrayConfigError(`graylane/ops: ${where} must be an object of label → value.`);
  return Object.entries(raw).map(([k, v]) => {
    requireLabelName(k, where);
    if (reserved.includes(k)) throw new GrayConfigError(`graylane/ops: ${where}: label '${k}' is set by graylane; remove it.`);
    if (typeof v !== 'string' || v.length > 1024) throw new GrayConfigError(`graylane/ops: ${where}.${k} must be a string of at most 1024 characters.`);
    return [k, v] as const;
  });
}

/** Validates the options and fills in defaults. @throws GrayConfigError. Internal. */
export function resolveRulesOptions(options: PrometheusRulesOptions): ResolvedRulesOptions {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.services) || options.services.length === 0) {
    throw new GrayConfigError("graylane/ops: prometheusRules needs `services`, e.g. ['orders'] or [{ name: 'web', source: 'http' }].");
  }
  const maxErrorRate = ratio(options.maxErrorRate, 0.005, 'maxErrorRate');
  const maxP99Ms = positive(options.maxP99Ms, 2000, 'maxP99Ms');
  const seen = new Set<string>();
  const services = options.services.map((raw, i): ResolvedService => {
    const s: PrometheusRuleService = typeof raw === 'string' ? { name: raw } : raw;
    if (typeof s !== 'object' || s === null) throw new GrayConfigError(`graylane/ops: services[${i}] must be a name or { name, source?, match? }.`);
    const name = requireService(s.name, `ops services[${i}]`);
    if (seen.has(name)) throw new GrayConfigError(`graylane/ops: services[${i}]: '${name}' is listed twice.`);
    seen.add(name);
    const source = s.source ?? 'grpc';
    if (source !== 'grpc' && source !== 'http') throw new GrayConfigError(`graylane/ops: services[${i}].source must be 'grpc' or 'http'.`);
    const match = labelPairs(s.match ?? { job: name }, `services[${i}].match`, [STAGE_LABEL, GRPC_CODE_LABEL, 'code', 'le']);
    return {
      name, source, match,
      maxErrorRate: ratio(s.maxErrorRate, maxErrorRate, `services[${i}].maxErrorRate`),
      maxP99Ms: positive(s.maxP99Ms, maxP99Ms, `services[${i}].maxP99Ms`),
    };
  });
  const stageList = options.stages ?? ['canary'];
  if (!Array.isArray(stageList) || stageList.length === 0) throw new GrayConfigError("graylane/ops: stages must be a non-empty array, e.g. ['canary'].");
  const stages = [...new Set(stageList.map((s, i) => requireRegistryStage(s, `ops stages[${i}]`)))];
  const grpcOkCodes = options.grpcOkCodes ?? ['OK', 'CANCELLED'];
  if (!Array.isArray(grpcOkCodes) || grpcOkCodes.length === 0 || !grpcOkCodes.every((c) => GRPC_CODES.has(c))) {
    throw new GrayConfigError(`graylane/ops: grpcOkCodes must be gRPC code names such as 'OK', 'CANCELLED', 'NOT_FOUND'.`);
  }
  const groupName = options.groupName ?? 'graylane-rollback';
  if (typeof groupName !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(groupName)) throw new GrayConfigError('graylane/ops: groupName must be 1-128 of [A-Za-z0-9_.:-].');
  return {
    services, stages, grpcOkCodes, groupName,
    minRequests: positive(options.minRequests, 20, 'minRequests', true),
    window: requireDuration(options.window ?? '1m', 'window'),
    for: requireDuration(options.for ?? '1m', 'for', true),
    interval: options.interval === undefined ? undefined : requireDuration(options.interval, 'interval'),
    alertLabels: labelPairs(options.alertLabels ?? { severity: 'critical' }, 'alertLabels', [STAGE_LABEL, SERVICE_LABEL, 'alertname']),
  };
}
