/**
 * docs/benchmarks.svg: a dependency-free bar chart of the 3-hop ratios against hand-written forwarding.
 * @packageDocumentation
 */
import type { BenchReport } from './report.js';

/** docs/benchmarks.svg: 3-hop throughput and CPU-per-call ratios vs hand, with min–max whiskers. */
export function chartSvg(r: BenchReport): string {
  const three = r.topologies.find((t) => t.hops === 3) ?? r.topologies[0];
  const rows = (three?.scenarios ?? []).filter((s) => s.vsHand !== null);
  const W = 760;
  const left = 150;
  const right = 30;
  const rowH = 44;
  const top = 58;
  const H = top + rows.length * rowH + 40;
  const all = rows.flatMap((s) => [s.vsHand!.throughput.max ?? 1, s.vsHand!.cpuPerCall.max ?? 1]);
  const maxV = Math.max(1.2, ...all.filter(Number.isFinite)) * 1.05;
  const x = (v: number): number => Math.round((left + (v / maxV) * (W - left - right)) * 10) / 10;
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(`${three?.hops ?? 3}-hop chain vs hand-written forwarding (median, min–max of ${rows[0]?.reps ?? 0} reps)`)}</text>`,
    `<rect x="${left}" y="30" width="12" height="10" fill="#4c78a8"/><text x="${left + 16}" y="39">throughput ratio (higher is better)</text>`,
    `<rect x="${left + 230}" y="30" width="12" height="10" fill="#f58518"/><text x="${left + 246}" y="39">CPU per call ratio (lower is better)</text>`,
  ];
  const step = maxV > 3 ? 0.5 : 0.25;
  for (let tick = 0; tick <= maxV + 1e-9; tick += step) {
    const tx = x(tick);
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top - 6}" y2="${H - 30}" stroke="${Math.abs(tick - 1) < 1e-9 ? '#333' : '#e5e5e5'}" stroke-width="${Math.abs(tick - 1) < 1e-9 ? 1.5 : 1}"/>`);
    parts.push(`<text x="${tx}" y="${H - 14}" text-anchor="middle" fill="#555">${tick.toFixed(2)}</text>`);
  }
  rows.forEach((s, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + 20}" text-anchor="end">${esc(s.scenario)}</text>`);
    const bars: [number | null, number | null, number | null, string, number][] = [
      [s.vsHand!.throughput.median, s.vsHand!.throughput.min, s.vsHand!.throughput.max, '#4c78a8', y + 4],
      [s.vsHand!.cpuPerCall.median, s.vsHand!.cpuPerCall.min, s.vsHand!.cpuPerCall.max, '#f58518', y + 20],
    ];
    for (const [med, min, max, color, by] of bars) {
      if (med === null) continue;
      parts.push(`<rect x="${left}" y="${by}" width="${Math.max(0, Math.round((x(med) - left) * 10) / 10)}" height="14" fill="${color}"/>`);
      if (min !== null && max !== null) {
        parts.push(`<line x1="${x(min)}" x2="${x(max)}" y1="${by + 7}" y2="${by + 7}" stroke="#222"/>`);
        parts.push(`<line x1="${x(min)}" x2="${x(min)}" y1="${by + 3}" y2="${by + 11}" stroke="#222"/><line x1="${x(max)}" x2="${x(max)}" y1="${by + 3}" y2="${by + 11}" stroke="#222"/>`);
      }
      parts.push(`<text x="${Math.max(x(med), max === null ? 0 : x(max)) + 4}" y="${by + 11}" fill="#222">${med.toFixed(2)}</text>`);
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
