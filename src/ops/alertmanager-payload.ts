/**
 * Strict parsing of Alertmanager's webhook payload (version 4): null-prototype objects, types
 * checked field by field, bounded counts, RFC 3339 timestamps. Returns a reason instead of throwing.
 * @packageDocumentation
 */

/** One alert, as far as the handler reads it. */
export interface WebhookAlert {
  /** `'firing'` or `'resolved'`. */
  readonly status: 'firing' | 'resolved';
  /** The alert's labels (a null-prototype object; values are strings). */
  readonly labels: Readonly<Record<string, string>>;
  /** `startsAt`, ms since the epoch. */
  readonly startsAt: number;
  /** `endsAt`, ms since the epoch, or `undefined` for Alertmanager's zero time (`0001-01-01T00:00:00Z`). */
  readonly endsAt: number | undefined;
}

/** The parsed payload or why it was refused. */
export type ParsedPayload = { readonly ok: true; readonly alerts: readonly WebhookAlert[] } | { readonly ok: false; readonly reason: string };

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const MAX_LABELS = 128;
const MAX_LABEL_VALUE = 1024;

/** JSON.parse with every object rebuilt on a null prototype (`__proto__` stays an inert key). */
function parseJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const out = Object.create(null) as Record<string, unknown>;
    for (const k of Object.keys(value)) out[k] = (value as Record<string, unknown>)[k];
    return out;
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Record<string, unknown>, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);

function time(value: unknown): number | undefined | null {
  if (typeof value !== 'string' || !RFC3339.test(value)) return null;
  if (value.startsWith('0001-01-01T')) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

function alert(raw: unknown, i: number): WebhookAlert | string {
  if (!isRecord(raw)) return `alerts[${i}] is not an object`;
  const status = own(raw, 'status');
  if (status !== 'firing' && status !== 'resolved') return `alerts[${i}].status must be 'firing' or 'resolved'`;
  const labels = own(raw, 'labels');
  if (!isRecord(labels)) return `alerts[${i}].labels is not an object`;
  const keys = Object.keys(labels);
  if (keys.length > MAX_LABELS) return `alerts[${i}].labels has more than ${MAX_LABELS} labels`;
  for (const k of keys) {
    const v = labels[k];
    if (typeof v !== 'string' || v.length > MAX_LABEL_VALUE) return `alerts[${i}].labels values must be strings of at most ${MAX_LABEL_VALUE} characters`;
  }
  const startsAt = time(own(raw, 'startsAt'));
  if (startsAt === null || startsAt === undefined) return `alerts[${i}].startsAt is not an RFC 3339 time`;
  const endsAt = time(own(raw, 'endsAt'));
  if (endsAt === null) return `alerts[${i}].endsAt is not an RFC 3339 time`;
  if (status === 'resolved' && endsAt === undefined) return `alerts[${i}] is resolved without endsAt`;
  return { status, labels: labels as Record<string, string>, startsAt, endsAt };
}

/** Parses and checks a webhook body; at most `maxAlerts` alerts. Never throws. */
export function parseWebhookPayload(text: string, maxAlerts: number): ParsedPayload {
  let body: unknown;
  try {
    body = parseJson(text);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  if (!isRecord(body)) return { ok: false, reason: 'body is not an object' };
  if (own(body, 'version') !== '4') return { ok: false, reason: "version must be '4' (Alertmanager's webhook format)" };
  const status = own(body, 'status');
  if (status !== 'firing' && status !== 'resolved') return { ok: false, reason: "status must be 'firing' or 'resolved'" };
  const alerts = own(body, 'alerts');
  if (!Array.isArray(alerts)) return { ok: false, reason: 'alerts is not an array' };
  if (alerts.length > maxAlerts) return { ok: false, reason: `more than ${maxAlerts} alerts` };
  const out: WebhookAlert[] = [];
  for (let i = 0; i < alerts.length; i++) {
    const parsed = alert(alerts[i], i);
    if (typeof parsed === 'string') return { ok: false, reason: parsed };
    out.push(parsed);
  }
  return { ok: true, alerts: out };
}
