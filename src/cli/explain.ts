/**
 * `graylane explain`: for one request, which coloring rule colored it or why it stayed on the
 * default stage (from a rules file, optionally against a registry's disabled stages and rollout
 * shares); for a live traced call, the stage every hop resolved, its instance and any fallback.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GrayConfigError } from '../core/errors.js';
import { createColoringRules } from '../core/rules/coloring-rules.js';
import { explainGrayEdge, type GrayEdgeExplanation } from '../core/rules/explain.js';
import type { ColoringRule } from '../core/rules/types.js';
import type { GrayHop } from '../observe/hop-trace.js';
import { rolloutPercentIn, type GrayRolloutRegistry } from '../routing/rollout-registry.js';
import { stageEnabledIn } from '../routing/stage-enabled.js';
import { openRegistry } from './rollout.js';
import { traceCall } from './trace.js';

/** Usage lines of `graylane explain`. */
export const EXPLAIN_USAGE = `  graylane explain --rules <rules.json> [--registry <file.json | http://etcd:2379>] [--service <svc>]...
                   [--trust-token <token>]... [--token-header x-gray-token] [--trust-incoming] [--stages stable,canary]
                   [--header k=v]... [--url /path?query] [--json]
      which coloring rule colors this request, or why it stays stable (untrusted, invalid, rule miss,
      stage disabled in the registry, outside a rollout's share: bucket vs threshold)
  graylane explain <host:port> --method /pkg.Service/Method [--header k=v]... [--registry …] [--json]
  graylane explain <http(s)://edge/path> [--header k=v]... [--registry …] [--rules …] [--json]
      call a live service with the hop trace on: the stage every hop resolved, its instance, and
      (with --registry) why a hop fell back to the default stage's instances`;

/** One hop of a live explain: the hop trace's fields, the stage change and the fallback reason. */
interface ExplainedHop extends GrayHop {
  readonly stageChanged: boolean;
  readonly fallback: string | undefined;
}

function headerPairs(list: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const h of list) {
    const at = h.search(/[=:]/);
    if (at <= 0) throw new GrayConfigError(`graylane explain: --header ${JSON.stringify(h)} must be name=value.`);
    out.set(h.slice(0, at).trim().toLowerCase(), h.slice(at + 1).trim());
  }
  return out;
}

function readRules(path: string): ColoringRule[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new GrayConfigError(`graylane explain: cannot read the rules file ${path}: ${(e as Error).message}.`);
  }
  const rules = Array.isArray(doc) ? doc : typeof doc === 'object' && doc !== null && Array.isArray((doc as { rules?: unknown }).rules) ? (doc as { rules: unknown[] }).rules : undefined;
  if (rules === undefined) throw new GrayConfigError(`graylane explain: ${path} must hold a JSON array of coloring rules, or { "rules": [...] }.`);
  return rules as ColoringRule[];
}

/** The services whose disabled stages the rules are checked against: `--service`, plus every named rollout's service. */
function servicesOf(rules: readonly ColoringRule[], given: readonly string[], registry: GrayRolloutRegistry): string[] {
  const out = new Set(given);
  for (const r of rules) {
    const name = r.rollout?.rollout;
    const service = name === undefined ? undefined : registry.getRollout(name)?.service;
    if (service !== undefined) out.add(service);
  }
  return [...out];
}

function formatExplanation(e: GrayEdgeExplanation, defaultStage: string): string[] {
  const lines = [
    `stage:     ${e.stage ?? '(none: health path)'}${e.stage !== undefined && !e.explicit ? ' (default)' : ''}`,
    `decision:  ${e.decision} — ${e.reason}`,
  ];
  if (e.sent !== undefined) lines.push(`sent:      ${e.sent.key}: ${JSON.stringify(e.sent.value)}`);
  for (const r of e.rejected) lines.push(`rejected:  ${r.key ?? '(a key)'}: ${r.reason}`);
  if (e.coloring !== undefined) {
    lines.push(`rules (version ${e.coloring.version}, first match wins):`);
    if (e.coloring.rules.length === 0) lines.push('  (none)');
    for (const r of e.coloring.rules) {
      const label = `#${r.index}${r.name === undefined ? '' : ` '${r.name}'`} → ${r.stage}`;
      const numbers = r.rollout === undefined ? '' : `  [bucket ${r.rollout.bucket ?? '-'} / threshold ${r.rollout.threshold}${r.rollout.rollout === undefined ? '' : `, rollout '${r.rollout.rollout}'`}]`;
      lines.push(`  ${label}: ${r.outcome}${r.why === undefined ? '' : ` — ${r.why}`}${numbers}`);
    }
  }
  lines.push(`forwarded: ${e.forwarded.length === 0 ? `(nothing: downstream hops see ${defaultStage})` : e.forwarded.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  return lines;
}

/** Why a call of `stage` to `service` landed on another stage's instance, read from the registry, or `undefined`. */
function fallbackReason(registry: GrayRolloutRegistry | undefined, service: string, stage: string): string | undefined {
  if (registry === undefined) return undefined;
  const snap = registry.getService(service);
  if (snap.rules.disabledStages.includes(stage)) return `stage '${stage}' is disabled for ${service} in the registry${snap.rules.fallback === 'strict' || snap.rules.strictStages.includes(stage) ? ' (strict: calls fail)' : ' (calls fall back to the default stage)'}`;
  if (snap.instances.length > 0 && !snap.instances.some((i) => i.stage === stage)) return `no '${stage}' instance of ${service} in the registry (calls fall back to the default stage)`;
  return undefined;
}

interface Values {
  readonly rules?: string;
  readonly registry?: string;
  readonly prefix?: string;
  readonly service: string[];
  readonly 'trust-token': string[];
  readonly 'token-header': string;
  readonly 'trust-incoming': boolean;
  readonly stages?: string;
  readonly header: string[];
  readonly url: string;
  readonly method?: string;
  readonly json: boolean;
  readonly timeout: string;
}

function explainLocally(v: Values, headers: Map<string, string>, registry: GrayRolloutRegistry | undefined, url: string): GrayEdgeExplanation {
  const list = v.rules === undefined ? undefined : readRules(v.rules);
  const stages = v.stages === undefined ? undefined : v.stages.split(',').map((s) => s.trim());
  const services = list !== undefined && registry !== undefined ? servicesOf(list, v.service, registry) : [];
  const rules = list === undefined ? undefined : createColoringRules(list, {
    ...(registry === undefined ? {} : { rolloutPercent: rolloutPercentIn(registry) }),
    ...(services.length === 0 ? {} : { isStageEnabled: stageEnabledIn(registry!, services) }),
  });
  return explainGrayEdge({ headers: Object.fromEntries(headers), url }, {
    ...(stages === undefined ? {} : { stages }),
    ...(rules === undefined ? {} : { rules }),
    trustIncoming: v['trust-incoming'],
    ...(v['trust-token'].length === 0 ? {} : { trust: { tokenHeader: v['token-header'], tokens: v['trust-token'] } }),
    healthPaths: [],
  });
}

/** Runs `graylane explain …`; resolves to the exit code (0 explained, 1 a live call without a trace, 2 usage or configuration). */
export async function explainCommand(args: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  let v: Values;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        rules: { type: 'string' },
        registry: { type: 'string' },
        prefix: { type: 'string' },
        service: { type: 'string', multiple: true, default: [] },
        'trust-token': { type: 'string', multiple: true, default: [] },
        'token-header': { type: 'string', default: 'x-gray-token' },
        'trust-incoming': { type: 'boolean', default: false },
        stages: { type: 'string' },
        header: { type: 'string', multiple: true, default: [] },
        url: { type: 'string', default: '/' },
        method: { type: 'string' },
        json: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '5000' },
      },
    });
    v = parsed.values as Values;
    positionals = parsed.positionals;
  } catch (e) {
    err(`graylane explain: ${(e as Error).message}\nusage:\n${EXPLAIN_USAGE}`);
    return 2;
  }
  const target = positionals[0];
  if (target === undefined && v.rules === undefined) {
    err(`graylane explain: give --rules <rules.json> (one request, decided locally) or a live target\nusage:\n${EXPLAIN_USAGE}`);
    return 2;
  }
  let registry: GrayRolloutRegistry | undefined;
  try {
    const headers = headerPairs(v.header);
    registry = v.registry === undefined ? undefined : await openRegistry(v.registry, v.prefix);
    // The trust token is a secret: never echo it.
    const shown = [...headers].map(([k, val]) => `${k}=${k === v['token-header'].toLowerCase() ? '***' : val}`).join(' ') || '(no headers)';
    if (target === undefined) {
      const e = explainLocally(v, headers, registry, v.url);
      if (v.json) out(JSON.stringify(e, null, 2));
      else for (const line of [`graylane explain: ${shown} at ${v.url}`, ...formatExplanation(e, 'the default stage')]) out(line);
      return 0;
    }
    const edge = v.rules === undefined ? undefined : explainLocally(v, headers, registry, /^https?:\/\//.test(target) ? new URL(target).pathname + new URL(target).search : v.method ?? '/');
    const result = await traceCall({ target, ...(v.method === undefined ? {} : { method: v.method }), stage: false, headers: Object.fromEntries(headers), timeoutMs: Number(v.timeout) || 5000 });
    const hops: ExplainedHop[] = [];
    if (result.trace.status === 'ok') {
      const stack: string[] = [];
      for (const h of result.trace.hops) {
        stack.length = h.depth;
        const parent = h.depth === 0 ? undefined : stack[h.depth - 1];
        // The first hop of a gRPC target is the target itself: no balancer picked it.
        const routed = h.depth > 0 || /^https?:\/\//.test(target);
        hops.push({ ...h, stageChanged: parent !== undefined && parent !== h.stage, fallback: routed ? fallbackReason(registry, h.service, h.stage) : undefined });
        stack.push(h.stage);
      }
    }
    if (v.json) {
      out(JSON.stringify({ target, status: result.status, ok: result.ok, trace: result.trace.status, incomplete: result.trace.status === 'ok' && result.trace.incomplete, ...(edge === undefined ? {} : { edge }), hops }, null, 2));
    } else {
      out(`graylane explain → ${target}${v.method ?? ''} with ${shown}`);
      out(`status: ${result.status}`);
      if (edge !== undefined) for (const line of ['edge decision (from --rules):', ...formatExplanation(edge, 'the default stage').map((l) => `  ${l}`)]) out(line);
      if (result.trace.status === 'absent') out('no hop trace came back: is the hop-trace interceptor/middleware installed on the services?');
      else if (result.trace.status === 'invalid') out(`hop trace unreadable: ${result.trace.reason}`);
      else {
        out('hops (stage resolved, instance picked):');
        for (const h of hops) {
          const notes = [h.explicit ? '' : ' (default)', h.stageChanged ? '  ← stage changed from the caller (tag lost or not trusted here)' : '', h.fallback === undefined ? '' : `  fallback: ${h.fallback}`].join('');
          out(`  ${'  '.repeat(h.depth)}${h.service} (${h.instance}) stage=${h.stage}${notes}`);
        }
        if (result.trace.incomplete) out('  … trace cut short (too many hops or a hop without a trace)');
        if (registry === undefined) out('(pass --registry to see why a hop fell back to the default stage)');
      }
    }
    return result.trace.status === 'ok' ? 0 : 1;
  } catch (e) {
    err(`graylane explain: ${(e as Error).message}`);
    return (e as Error).name === 'GrayConfigError' ? 2 : 1;
  } finally {
    await registry?.close();
  }
}
