import { stepOf } from '@plz/contracts';
import { html, trusted, type SafeHtml } from './markup.js';
import { valueText } from './format.js';

/** One metric of an execution's measures: its points by step, in step order. */
export interface MetricSeries {
  key: string;
  points: { step: number; value: number }[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The numeric measures of an execution (`executions.measures`, the measure files nested by path as
 * the worker harvested them) as series by metric, the way the worker names MLflow metrics: a
 * level whose name ends in a number (`epoch_7`) is the step and names no key level, except as the
 * last level holding a number (`loss_7` = 0.1 is `loss` at step 7); levels are joined with `.`.
 * Values without a step are at step 0. Series are sorted by key; at most `maxSeries` are kept.
 */
export function metricSeries(measures: Record<string, unknown> | null, maxSeries = 100): MetricSeries[] {
  const byKey = new Map<string, Map<number, number>>();
  const walk = (value: unknown, levels: string[], step: number | undefined) => {
    if (typeof value === 'number' && Number.isFinite(value)) {
      const key = levels.join('.') || 'value';
      const points = byKey.get(key) ?? new Map<number, number>();
      points.set(step ?? 0, value);
      byKey.set(key, points);
      return;
    }
    if (!isObject(value)) return;
    for (const [name, child] of Object.entries(value)) {
      const parsed = step === undefined ? stepOf(name) : { name, step: undefined };
      if (parsed.step === undefined) walk(child, [...levels, name], step);
      else if (typeof child === 'number') walk(child, parsed.name ? [...levels, parsed.name] : levels, parsed.step);
      else walk(child, levels, parsed.step);
    }
  };
  walk(measures, [], undefined);
  return [...byKey.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, maxSeries)
    .map(([key, points]) => ({ key, points: [...points.entries()].sort(([a], [b]) => a - b).map(([step, value]) => ({ step, value })) }));
}

/**
 * A small line chart of a series as inline SVG (no script needed): `width` × `height` CSS pixels,
 * with the first and last values and the range as text for screen readers (`role="img"` and a label).
 */
export function sparkline(series: MetricSeries, width = 240, height = 64): SafeHtml {
  const values = series.points.map((point) => point.value);
  const steps = series.points.map((point) => point.step);
  const [minValue, maxValue] = [Math.min(...values), Math.max(...values)];
  const [minStep, maxStep] = [Math.min(...steps), Math.max(...steps)];
  const x = (step: number) => (maxStep === minStep ? width / 2 : ((step - minStep) / (maxStep - minStep)) * (width - 4) + 2);
  const y = (value: number) => (maxValue === minValue ? height / 2 : height - 2 - ((value - minValue) / (maxValue - minValue)) * (height - 4));
  const path = series.points.map((point, index) => `${index ? 'L' : 'M'}${x(point.step).toFixed(1)},${y(point.value).toFixed(1)}`).join(' ');
  const label = `${series.key}: ${series.points.length} points, steps ${minStep} to ${maxStep}, from ${valueText(values[0])} to ${valueText(values.at(-1))}, min ${valueText(minValue)}, max ${valueText(maxValue)}`;
  return html`<svg class="chart" role="img" aria-label="${label}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${trusted(`<path d="${path}" fill="none" stroke="currentColor" stroke-width="1.5"/>`)}</svg>`;
}
