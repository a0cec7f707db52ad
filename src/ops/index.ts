/**
 * graylane/ops: plug graylane into the operations stack a team already runs — Prometheus alerting
 * and recording rules for the per-stage metrics (`prometheusRules`, `prometheusRuleManifest`,
 * `rulesToYaml`), and an Alertmanager webhook handler that disables (and optionally resumes) the
 * alerting stage in the registry (`alertmanagerRollbackHandler`). No optional peer is loaded.
 * @packageDocumentation
 */
export { prometheusRules, prometheusRuleManifest, rulesToYaml, recordedSeries, ERROR_RATIO_ALERT, LATENCY_P99_ALERT, GRAYLANE_ALERTS } from './prometheus-rules.js';
export type {
  PrometheusRuleFile,
  PrometheusRuleGroup,
  PrometheusRecordingRule,
  PrometheusAlertingRule,
  PrometheusRuleManifest,
  PrometheusRuleManifestOptions,
} from './prometheus-rules.js';
export { SERVICE_LABEL, STAGE_LABEL } from './rule-options.js';
export type { PrometheusRulesOptions, PrometheusRuleService, GrayMetricsSource } from './rule-options.js';
export { alertmanagerRollbackHandler } from './alertmanager-webhook.js';
export type { AlertmanagerRollbackHandler, WebhookResult } from './alertmanager-webhook.js';
export type { AlertmanagerRollbackOptions, StageSwitch, WebhookRollbackEvent, WebhookLogger } from './webhook-options.js';
