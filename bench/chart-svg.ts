/**
 * docs/benchmarks.svg: a dependency-free chart of the 3-hop CPU-per-call ratios to the hand-written
 * baseline, per runtime: the median as a dot, the 95 % bootstrap interval as a whisker, the bar as
 * a red tick.
 * @packageDocumentation
 */
import type { BenchReport } from './report.js';

export function chartSvg(r: BenchReport): string {
  const rows: { label: string; value: number; lo: number; hi: number; bar: number | undefined }[] = [];
  for (const rt of r.runtimes) {
    const top = rt.topologies.find((t) => t.hops === 3) ?? rt.topologies[0];
    const bars = new Map(rt.targets.filter((t) => t.unit === '×' && t.id.endsWith('-cpu')).map((t) => [t.id, t.bar]));
    for (const s of top?.scenarios ?? []) {
      const e = s.cpuVsBaseline;
      if (e === null || e.value === null) continue;
      const id = s.scenario === 'graylane' ? 'propagation-cpu' : s.scenario === 'full' ? 'full-stack-cpu' : s.scenario === 'nice-grpc' ? 'nice-grpc-cpu' : '';
      rows.push({ label: `Node ${rt.major} · ${s.scenario} ÷ ${s.baseline}`, value: e.value, lo: e.lo!, hi: e.hi!, bar: bars.get(id) });
    }
  }
  const W = 760;
  const left = 230;
  const right = 60;
  const rowH = 26;
  const top = 50;
  const H = top + rows.length * rowH + 40;
  const lo = Math.min(0.8, ...rows.map((x) => x.lo)) * 0.97;
  const hi = Math.max(1.3, ...rows.map((x) => x.hi)) * 1.03;
  const x = (v: number): number => Math.round((left + ((v - lo) / (hi - lo)) * (W - left - right)) * 10) / 10;
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc('3-hop CPU per call ÷ hand-written baseline: median of per-round ratios, 95 % interval')}</text>`,
    `<text x="10" y="38" fill="#555">${esc('lower is better; red tick: the bar (met when the whole whisker is left of it)')}</text>`,
  ];
  const step = hi - lo > 1 ? 0.2 : 0.1;
  for (let tick = Math.ceil(lo / step) * step; tick <= hi + 1e-9; tick += step) {
    const tx = x(tick);
    const one = Math.abs(tick - 1) < 1e-9;
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top - 6}" y2="${H - 30}" stroke="${one ? '#333' : '#e5e5e5'}" stroke-width="${one ? 1.5 : 1}"/>`);
    parts.push(`<text x="${tx}" y="${H - 14}" text-anchor="middle" fill="#555">${tick.toFixed(2)}</text>`);
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH + 12;
    parts.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end">${esc(row.label)}</text>`);
    parts.push(`<line x1="${x(row.lo)}" x2="${x(row.hi)}" y1="${y}" y2="${y}" stroke="#4c78a8" stroke-width="3"/>`);
    parts.push(`<circle cx="${x(row.value)}" cy="${y}" r="4.5" fill="#f58518"/>`);
    if (row.bar !== undefined) parts.push(`<line x1="${x(row.bar)}" x2="${x(row.bar)}" y1="${y - 8}" y2="${y + 8}" stroke="#d62728" stroke-width="2"/>`);
    parts.push(`<text x="${x(row.hi) + 6}" y="${y + 4}" fill="#222">${row.value.toFixed(2)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
