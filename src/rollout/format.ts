/**
 * A readable, multi-line status of a rollout (the `graylane rollout status` output).
 * @packageDocumentation
 */
import type { GrayRolloutRecord } from '../routing/rollout-record.js';
import type { RolloutWindow } from './options.js';

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * Formats a rollout record (and, when known, a window's numbers and the problem of a refused stored
 * record) as lines of text: state, step and share, the ramp, time to the next step, last decision.
 *
 * @param now - the clock, in ms since the epoch. Default `Date.now()`.
 */
export function formatRolloutStatus(
  name: string,
  record: GrayRolloutRecord | undefined,
  extra: { readonly window?: RolloutWindow; readonly problem?: string; readonly now?: number } = {},
): string {
  const now = extra.now ?? Date.now();
  const lines = [`rollout ${name}`];
  if (record === undefined) {
    lines.push('  no record in the registry (start it with `graylane rollout start`)');
  } else {
    const ramp = record.steps.map((s, i) => (i === record.step ? `[${s}%]` : `${s}%`)).join(' → ');
    lines.push(
      `  state:     ${record.state}`,
      `  target:    ${record.service} / ${record.stage}`,
      `  step:      ${record.step + 1} of ${record.steps.length}, share ${record.percent}%`,
      `  ramp:      ${ramp}`,
      `  on step:   ${duration(Math.max(0, now - record.stepStartedAt))} (min dwell ${duration(record.minDwellMs)}, min calls ${record.minCalls})`,
    );
    if (record.state === 'running') lines.push(`  next step: ${Math.max(0, record.stepStartedAt + record.minDwellMs - now) === 0 ? 'when the analysis passes' : `in ${duration(record.stepStartedAt + record.minDwellMs - now)} at the earliest`}`);
    if (record.decision !== undefined) lines.push(`  last:      ${record.decision.action} ${duration(Math.max(0, now - record.decision.at))} ago${record.decision.by === undefined ? '' : ` by ${record.decision.by}`}: ${record.decision.reason}`);
  }
  const w = extra.window ?? record?.window;
  if (w !== undefined) {
    const rate = w.calls === 0 ? 0 : w.errors / w.calls;
    const seen = record?.window !== undefined && extra.window === undefined ? ` (leader's numbers ${duration(Math.max(0, now - record.window.at))} ago; ${record.window.callsThisStep} calls on this step)` : '';
    lines.push(`  window:    ${w.calls} calls, ${w.errors} errors (${(rate * 100).toFixed(2)}%), p99 ${w.p99Ms.toFixed(0)} ms over ${duration(w.windowMs)}${seen}`);
  }
  if (extra.problem !== undefined) lines.push(`  PROBLEM:   ${extra.problem}`);
  return `${lines.join('\n')}\n`;
}
