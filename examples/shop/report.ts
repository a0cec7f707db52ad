// Prints the demo's findings as tables (or one JSON object with --json).
import type { RampReport } from './ramp.js';
import { CANARY_SERVICES, CLASSES } from './traffic.js';
import { skippedLine, type QueueReport } from './queue-hop.js';

export interface DemoReport {
  requests: number;
  failed: number;
  hopsChecked: number;
  tagsLost: number;
  misrouted: number;
  fallbacks: number;
  canaryShareOfUsers: number;
  registry: string;
  perHop: Record<string, number>;
  trace: unknown;
  rollback: {
    tripped: boolean;
    reason: string | undefined;
    failedDuringDrill: number;
    afterTrip: { requests: number; pricedByStable: number };
    resumed: boolean;
    edge: { user: string | undefined; afterTrip: string | undefined; afterResume: string | undefined };
    timeline: Array<{ atMs: number; event: string }>;
  };
  /** The queue hop (orders → RabbitMQ → worker), or why it was skipped. */
  queue: QueueReport;
  /** The ramp drill (graylane/rollout): steps, where it stopped, why. */
  ramp: RampReport;
}

export function printReport(r: DemoReport, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`\ngraylane demo — gateway → orders → inventory → pricing (${r.registry} registry)\n`);
  for (const service of ['orders', 'inventory', 'pricing']) {
    const note = CANARY_SERVICES.has(service) ? '' : ' (no canary instance: canary traffic falls back to stable)';
    console.log(`${service}: request class × instance stage reached${note}`);
    console.log(`  ${pad('class', 12)}${pad('stable', 10)}canary`);
    for (const cls of CLASSES) {
      const n = (stage: string) => String(r.perHop[`${service}|${cls}|${stage}`] ?? 0);
      console.log(`  ${pad(cls, 12)}${pad(n('stable'), 10)}${n('canary')}`);
    }
  }
  const q = r.queue;
  if (q.skipped === true) console.log(`\n${skippedLine(q.broker)}`);
  else {
    console.log(`\nevents: request class × consumer stage (orders → RabbitMQ ${q.queue} → worker)`);
    console.log(`  ${pad('class', 12)}${pad('stable', 10)}canary`);
    for (const cls of CLASSES) console.log(`  ${pad(cls, 12)}${pad(String(q.perClass[`${cls}|stable`] ?? 0), 10)}${q.perClass[`${cls}|canary`] ?? 0}`);
  }
  console.log(`\nusers colored canary by the 20 % rollout rule: ${(r.canaryShareOfUsers * 100).toFixed(1)} %`);
  const trace = r.trace as { status?: string; hops?: Array<{ depth: number; service: string; instance: string; stage: string; explicit: boolean }> } | undefined;
  console.log('\nhop trace of one canary request:');
  if (trace?.status === 'ok' && trace.hops) {
    for (const h of trace.hops) console.log(`  ${'  '.repeat(h.depth)}${h.service} (${h.instance}) stage=${h.stage}${h.explicit ? '' : ' (default)'}`);
  } else {
    console.log(`  ${JSON.stringify(trace)}`);
  }
  if (q.skipped !== true && q.trace) {
    const t = q.trace;
    console.log(`  orders ⇢ RabbitMQ ${t.lane} stage=${t.publishedStage} ⇢ ${t.consumer} (${t.consumerStage} consumer) stage=${t.handlerStage}`);
  }
  console.log(`\nrequests: ${r.requests}, hops checked: ${r.hopsChecked}, tags lost: ${r.tagsLost}, misrouted: ${r.misrouted}, failed: ${r.failed}`);
  if (q.skipped !== true) console.log(`queue: published ${q.published}, consumed ${q.consumed}, lost ${q.lost}, misrouted ${q.misrouted}, tags lost ${q.tagsLost}`);
  console.log(`\nrollback drill: ${r.rollback.tripped ? `tripped (${r.rollback.reason})` : 'did NOT trip'}; ${r.rollback.failedDuringDrill} canary request${r.rollback.failedDuringDrill === 1 ? '' : 's'} failed before the trip`);
  for (const t of r.rollback.timeline) console.log(`  +${String(t.atMs).padStart(5)} ms  ${t.event}`);
  const ramp = r.ramp;
  console.log(`\nramp drill (graylane/rollout): ${ramp.steps.map((s) => `${s} %`).join(' → ')}; reached ${ramp.reached} %; ${ramp.aborted ? `aborted (${ramp.reason})` : 'NOT aborted'}`);
  for (const t of ramp.timeline) console.log(`  +${String(t.atMs).padStart(5)} ms  ${t.event}`);
}
