/**
 * `graylane rules prometheus`: prints (or writes) the Prometheus rules of graylane/ops as a rules
 * file or a PrometheusRule manifest.
 * @packageDocumentation
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GrayConfigError } from '../core/errors.js';
import { prometheusRuleManifest, prometheusRules, rulesToYaml } from '../ops/prometheus-rules.js';
import type { PrometheusRuleService, PrometheusRulesOptions } from '../ops/rule-options.js';

/** Usage of `graylane rules`. */
export const RULES_USAGE = `  graylane rules prometheus --service <name>[:grpc|:http]... [--stage canary]... [--max-error-rate 0.005]
      [--max-p99-ms 2000] [--min-requests 20] [--window 1m] [--for 1m] [--interval 30s] [--group name]
      [--label k=v]... [--config options.json] [--manifest [--name n] [--namespace ns] [--manifest-label k=v]...] [-o file]
      print alerting + recording rules for the per-stage metrics (check them with \`promtool check rules\`)`;

function pairs(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const item of list) {
    const at = item.indexOf('=');
    if (at <= 0) throw new GrayConfigError(`graylane rules: ${flag} ${JSON.stringify(item)} must be key=value.`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return { ...out };
}

function number(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new GrayConfigError(`graylane rules: ${flag} must be a number, got ${JSON.stringify(text)}.`);
  return n;
}

function service(spec: string): PrometheusRuleService {
  const [name, source, ...rest] = spec.split(':');
  if (rest.length > 0 || (source !== undefined && source !== 'grpc' && source !== 'http')) {
    throw new GrayConfigError(`graylane rules: --service ${JSON.stringify(spec)} must be <name>, <name>:grpc or <name>:http.`);
  }
  return source === undefined ? { name: name! } : { name: name!, source };
}

/** Runs `graylane rules …`; resolves to the exit code (2 for usage and configuration errors). */
export async function rules(args: string[]): Promise<number> {
  const [kind, ...rest] = args;
  if (kind !== 'prometheus') {
    console.error(`usage:\n${RULES_USAGE}`);
    return 2;
  }
  try {
    const { values } = parseArgs({
      args: rest,
      options: {
        service: { type: 'string', multiple: true, default: [] },
        stage: { type: 'string', multiple: true },
        'max-error-rate': { type: 'string' },
        'max-p99-ms': { type: 'string' },
        'min-requests': { type: 'string' },
        window: { type: 'string' },
        for: { type: 'string' },
        interval: { type: 'string' },
        group: { type: 'string' },
        label: { type: 'string', multiple: true },
        config: { type: 'string' },
        manifest: { type: 'boolean', default: false },
        name: { type: 'string' },
        namespace: { type: 'string' },
        'manifest-label': { type: 'string', multiple: true },
        output: { type: 'string', short: 'o' },
      },
    });
    const base = (values.config === undefined ? {} : JSON.parse(readFileSync(values.config, 'utf8'))) as Partial<PrometheusRulesOptions>;
    const services = [...(base.services ?? []), ...values.service.map(service)];
    const options: PrometheusRulesOptions = {
      ...base,
      services,
      ...(values.stage === undefined ? {} : { stages: values.stage }),
      ...defined('maxErrorRate', number(values['max-error-rate'], '--max-error-rate')),
      ...defined('maxP99Ms', number(values['max-p99-ms'], '--max-p99-ms')),
      ...defined('minRequests', number(values['min-requests'], '--min-requests')),
      ...defined('window', values.window),
      ...defined('for', values.for),
      ...defined('interval', values.interval),
      ...defined('groupName', values.group),
      ...(values.label === undefined ? {} : { alertLabels: pairs(values.label, '--label') }),
    };
    const doc = values.manifest
      ? prometheusRuleManifest(options, {
        ...defined('name', values.name),
        ...defined('namespace', values.namespace),
        ...(values['manifest-label'] === undefined ? {} : { labels: pairs(values['manifest-label'], '--manifest-label') }),
      })
      : prometheusRules(options);
    const text = rulesToYaml(doc);
    if (values.output === undefined) process.stdout.write(text);
    else writeFileSync(values.output, text);
    return 0;
  } catch (err) {
    console.error(`graylane rules: ${(err as Error).message}`);
    return 2;
  }
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
