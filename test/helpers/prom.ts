/** prom-client reading helpers shared by the metrics tests. */
import type { Registry } from 'prom-client';
import { expect } from 'vitest';

/** Label value → summed metric value. */
export type Values = Record<string, number>;

/** Sums a metric's values by one label (histograms: their `_count` series), keeping series matching `filter`. */
export async function sumBy(registry: Registry, name: string, label: string, filter: Record<string, string> = {}): Promise<Values> {
  const metrics = await registry.getMetricsAsJSON();
  const metric = metrics.find((m) => m.name === name);
  expect(metric, name).toBeDefined();
  const out: Values = {};
  for (const v of metric!.values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>) {
    if (v.metricName !== undefined && !v.metricName.endsWith('_count') && v.metricName !== name) continue;
    if (Object.entries(filter).some(([k, want]) => String(v.labels[k]) !== want)) continue;
    const key = String(v.labels[label]);
    out[key] = (out[key] ?? 0) + v.value;
  }
  return out;
}
