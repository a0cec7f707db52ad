/**
 * Prometheus alerting and recording rules for graylane's per-stage metrics: a stage's error ratio
 * and p99 latency per service, against the rollback guard's limits, as a rules file or a
 * PrometheusRule manifest. The alerts carry `graylane_service` and `release_stage`, which the
 * Alertmanager webhook handler turns into `setStageDisabled(service, stage, true)`.
 * @packageDocumentation
 */
import { GrayConfigError } from '../core/errors.js';
import { matchers, promNumber, quoted } from './promql.js';
import { resolveRulesOptions, GRPC_CODE_LABEL, SERVICE_LABEL, STAGE_LABEL, type PrometheusRulesOptions, type ResolvedService } from './rule-options.js';
import { toYaml, type YamlValue } from './yaml.js';

/** Alert fired when a stage's error ratio breaks the limit: `'GraylaneStageErrorRatio'`. */
export const ERROR_RATIO_ALERT = 'GraylaneStageErrorRatio';
/** Alert fired when a stage's p99 latency breaks the limit: `'GraylaneStageLatencyP99'`. */
export const LATENCY_P99_ALERT = 'GraylaneStageLatencyP99';
/** Every alert name the rules generate (and the webhook handler acts on by default). */
export const GRAYLANE_ALERTS: readonly string[] = Object.freeze([ERROR_RATIO_ALERT, LATENCY_P99_ALERT]);

/** A recording rule. */
export interface PrometheusRecordingRule {
  /** Name of the recorded series. */
  readonly record: string;
  /** The PromQL expression. */
  readonly expr: string;
  /** Labels added to the recorded series (`graylane_service`, `release_stage`). */
  readonly labels: Readonly<Record<string, string>>;
}

/** An alerting rule. */
export interface PrometheusAlertingRule {
  /** The alert name. */
  readonly alert: string;
  /** The PromQL condition. */
  readonly expr: string;
  /** How long the condition must hold. */
  readonly for: string;
  /** Labels of the alert (`graylane_service`, `release_stage`, `graylane: rollback`, and the configured extras). */
  readonly labels: Readonly<Record<string, string>>;
  /** `summary` and `description` templates. */
  readonly annotations: Readonly<Record<string, string>>;
}

/** A rule group. */
export interface PrometheusRuleGroup {
  /** The group name (option `groupName`). */
  readonly name: string;
  /** Evaluation interval, when set (option `interval`). */
  readonly interval?: string;
  /** Recording rules first, then the alerts that read them. */
  readonly rules: ReadonlyArray<PrometheusRecordingRule | PrometheusAlertingRule>;
}

/** A Prometheus rules file (`rule_files:` entry). */
export interface PrometheusRuleFile {
  /** One group holding every service's rules. */
  readonly groups: readonly PrometheusRuleGroup[];
}

/** A prometheus-operator `PrometheusRule` object. */
export interface PrometheusRuleManifest {
  /** `'monitoring.coreos.com/v1'`. */
  readonly apiVersion: 'monitoring.coreos.com/v1';
  /** `'PrometheusRule'`. */
  readonly kind: 'PrometheusRule';
  /** Name, namespace and labels (the operator's `ruleSelector` matches these labels). */
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
  /** The rule groups. */
  readonly spec: PrometheusRuleFile;
}

/** Metadata of {@link prometheusRuleManifest}. */
export interface PrometheusRuleManifestOptions {
  /** `metadata.name`. Default `'graylane-rollback'`. */
  readonly name?: string;
  /** `metadata.namespace`. Default: none. */
  readonly namespace?: string;
  /** `metadata.labels`, e.g. `{ release: 'kube-prometheus-stack' }`. Default: none. */
  readonly labels?: Readonly<Record<string, string>>;
}

interface Family { readonly total: string; readonly failed: string; readonly bucket: string }

function family(service: ResolvedService, okCodes: readonly string[]): Family {
  return service.source === 'grpc'
    ? { total: 'grpc_server_handled_total', failed: `${GRPC_CODE_LABEL}!~${quoted(okCodes.join('|'))}`, bucket: 'grpc_server_handling_seconds_bucket' }
    : { total: 'http_requests_total', failed: 'code=~"5.."', bucket: 'http_request_duration_seconds_bucket' };
}

/** Names of the recorded series for a window, e.g. `graylane_service_stage:errors:ratio_rate1m`. */
export function recordedSeries(window: string): { readonly requests: string; readonly errorRatio: string; readonly p99: string } {
  return {
    requests: `graylane_service_stage:requests:increase${window}`,
    errorRatio: `graylane_service_stage:errors:ratio_rate${window}`,
    p99: `graylane_service_stage:latency_seconds:p99_rate${window}`,
  };
}

/**
 * Builds the rules: per service and stage, three recording rules (requests in the window, error
 * ratio, p99 latency, each labelled `graylane_service` and `release_stage`) and two alerts, {@link ERROR_RATIO_ALERT}
 * and {@link LATENCY_P99_ALERT}, that fire once the stage served at least `minRequests` requests in
 * the window. Validate the output with `promtool check rules`.
 *
 * @throws GrayConfigError on bad options (names, limits, durations, label names).
 * @example
 * writeFileSync('graylane.rules.yml', rulesToYaml(prometheusRules({ services: ['orders', { name: 'web', source: 'http' }] })));
 */
export function prometheusRules(options: PrometheusRulesOptions): PrometheusRuleFile {
  const o = resolveRulesOptions(options);
  const names = recordedSeries(o.window);
  const extra = Object.fromEntries(o.alertLabels);
  const rules: Array<PrometheusRecordingRule | PrometheusAlertingRule> = [];
  for (const service of o.services) {
    const f = family(service, o.grpcOkCodes);
    for (const stage of o.stages) {
      const sel = matchers([...service.match, [STAGE_LABEL, stage]]);
      const by = `sum by (${STAGE_LABEL})`;
      const labels = { [SERVICE_LABEL]: service.name, [STAGE_LABEL]: stage };
      rules.push(
        { record: names.requests, expr: `${by} (increase(${f.total}{${sel}}[${o.window}]))`, labels },
        {
          record: names.errorRatio,
          expr: `${by} (rate(${f.total}{${sel},${f.failed}}[${o.window}]) or 0 * rate(${f.total}{${sel}}[${o.window}]))\n/\n${by} (rate(${f.total}{${sel}}[${o.window}]))`,
          labels,
        },
        { record: names.p99, expr: `histogram_quantile(0.99, sum by (le, ${STAGE_LABEL}) (rate(${f.bucket}{${sel}}[${o.window}])))`, labels },
      );
      const mine = matchers([[SERVICE_LABEL, service.name], [STAGE_LABEL, stage]]);
      const enough = `and on (${SERVICE_LABEL}, ${STAGE_LABEL})\n${names.requests}{${mine}} >= ${o.minRequests}`;
      const alertLabels = { ...extra, graylane: 'rollback', [SERVICE_LABEL]: service.name, [STAGE_LABEL]: stage };
      const what = `${service.name} ${stage}`;
      rules.push(
        {
          alert: ERROR_RATIO_ALERT,
          expr: `${names.errorRatio}{${mine}} > ${promNumber(service.maxErrorRate)}\n${enough}`,
          for: o.for,
          labels: alertLabels,
          annotations: {
            summary: `${what}: error ratio {{ $value | humanizePercentage }} over ${o.window} (limit ${promNumber(service.maxErrorRate * 100)} %)`,
            description: `The ${stage} stage of ${service.name} fails more than ${promNumber(service.maxErrorRate * 100)} % of requests; graylane's webhook disables it so routers fall back.`,
          },
        },
        {
          alert: LATENCY_P99_ALERT,
          expr: `${names.p99}{${mine}} > ${promNumber(service.maxP99Ms / 1000)}\n${enough}`,
          for: o.for,
          labels: alertLabels,
          annotations: {
            summary: `${what}: p99 latency {{ $value | humanizeDuration }} over ${o.window} (limit ${promNumber(service.maxP99Ms)} ms)`,
            description: `The ${stage} stage of ${service.name} is slower than ${promNumber(service.maxP99Ms)} ms at p99; graylane's webhook disables it so routers fall back.`,
          },
        },
      );
    }
  }
  const group: PrometheusRuleGroup = o.interval === undefined ? { name: o.groupName, rules } : { name: o.groupName, interval: o.interval, rules };
  return { groups: [group] };
}

const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * The same rules as a prometheus-operator `PrometheusRule` object.
 * @throws GrayConfigError on bad options or a name / namespace that is not a Kubernetes name.
 */
export function prometheusRuleManifest(options: PrometheusRulesOptions, manifest: PrometheusRuleManifestOptions = {}): PrometheusRuleManifest {
  const spec = prometheusRules(options);
  const name = manifest.name ?? 'graylane-rollback';
  for (const [field, value] of [['name', name], ['namespace', manifest.namespace]] as const) {
    if (value !== undefined && (typeof value !== 'string' || !K8S_NAME.test(value))) {
      throw new GrayConfigError(`graylane/ops: manifest ${field} ${JSON.stringify(value)} is not a Kubernetes name (lower-case letters, digits, '-', '.').`);
    }
  }
  const labels = manifest.labels;
  if (labels !== undefined && (typeof labels !== 'object' || labels === null || !Object.values(labels).every((v) => typeof v === 'string'))) {
    throw new GrayConfigError('graylane/ops: manifest labels must be an object of strings.');
  }
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name, ...(manifest.namespace === undefined ? {} : { namespace: manifest.namespace }), ...(labels === undefined ? {} : { labels: { ...labels } }) },
    spec,
  };
}

/** Writes a rules file or manifest as YAML (every string double-quoted). */
export function rulesToYaml(document: PrometheusRuleFile | PrometheusRuleManifest): string {
  return toYaml(document as unknown as YamlValue);
}
