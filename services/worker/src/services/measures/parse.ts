import { stepOf } from '@plz/contracts';
import { flattenMeasures, joinKey, type Metric } from '@plz/mlflow-client';

export { stepOf };

/**
 * Measures as the job writes them (ARCHITECTURE.md §4, compatible with Plz): each file in the
 * measures directory is a measure; its path components are nested keys and its content is parsed
 * as JSON (text that is not JSON is kept as a string).
 *
 * MLflow metrics are the numeric leaves. A file name ending in a number (`epoch_7`, `epoch-7`,
 * `step7`, optionally with `.json`) gives the step; that file name then names no key level:
 * `epoch_7` holding `{"loss": 0.1}` is metric `loss` at step 7, and `loss_7` holding `0.1` is
 * metric `loss` at step 7 (the name without its number). Other files have no step (MLflow's 0):
 * `final` holding `{"acc": 0.9}` is metric `final.acc`. Levels are joined with `.` and keys made
 * valid for MLflow by @plz/mlflow-client (`joinKey`, `flattenMeasures`).
 */

/** One file of the measures directory: path relative to it ('/'-separated) and its text. */
export interface MeasureFile {
  path: string;
  content: string;
  /** Modification time in ms since the epoch (the metric's timestamp, so re-sending is idempotent). */
  mtimeMs: number;
}

/** An MLflow metric point (REST `Metric`: key, value, timestamp in ms, step). */
export interface MetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** Parses a measure file's content: JSON when it is JSON, else the trimmed text. */
export function parseMeasureContent(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return trimmed;
  }
}

/** Nests measure files into one object: `train/epoch_1` becomes `{ train: { epoch_1: … } }`. */
export function measuresObject(files: readonly MeasureFile[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const parts = file.path.split('/').filter(Boolean);
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    const last = parts.at(-1);
    if (last !== undefined) node[last] = parseMeasureContent(file.content);
  }
  return root;
}

/** MLflow metric points of one measure file (rules at the top of this file). */
export function measureMetrics(file: MeasureFile): MetricPoint[] {
  const parts = file.path.split('/').filter(Boolean);
  const fileName = parts.at(-1);
  if (fileName === undefined) return [];
  const folders = parts.slice(0, -1);
  const { name, step } = stepOf(fileName);
  const content = parseMeasureContent(file.content);
  const timestamp = Math.round(file.mtimeMs);
  const levels = step === undefined ? [...folders, fileName] : typeof content === 'number' ? [...folders, name] : folders;
  return flattenMeasures(content, { prefix: joinKeyOrEmpty(levels), timestamp, step: step ?? 0 }).map(withStep);
}

const joinKeyOrEmpty = (levels: string[]): string => (levels.some(Boolean) ? joinKey(...levels) : '');
const withStep = (metric: Metric): MetricPoint => ({ ...metric, step: metric.step ?? 0 });

/** MLflow metric points of the summary: numeric leaves under `summary.` (a bare number is `summary`). */
export function summaryMetrics(summary: unknown, timestamp: number): MetricPoint[] {
  return flattenMeasures(summary, { prefix: 'summary', timestamp }).map(withStep);
}
