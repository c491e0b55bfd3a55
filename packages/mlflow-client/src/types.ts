import type { components } from './generated/mlflow.js';
import type { Metric } from './limits.js';

type Schemas = components['schemas'];

/** An MLflow experiment as the REST API returns it (snake_case fields; times in ms since the epoch). */
export type Experiment = Schemas['Experiment'];
/** RUNNING | SCHEDULED | FINISHED | FAILED | KILLED (mlflow.RunStatus). */
export type RunStatus = Schemas['RunStatus'];
/** ACTIVE_ONLY | DELETED_ONLY | ALL (mlflow.ViewType). */
export type ViewType = Schemas['ViewType'];
/** A run's identity and state: `run_id`, `experiment_id`, `status`, `start_time`/`end_time` (ms), `artifact_uri`. */
export type RunInfo = Schemas['RunInfo'];
/** An entry of an artifact folder listing: `path` relative to the folder, `is_dir`, `file_size` in bytes. */
export type FileInfo = Schemas['FileInfo'];
/** A metric point on the wire, where a value that is not finite is a string. */
export type WireMetric = Schemas['Metric'];
/** A run's data with metric values decoded to numbers (NaN and infinities included). */
export interface RunData {
  metrics: Metric[];
  params: Array<{ key: string; value: string }>;
  tags: Array<{ key: string; value: string }>;
}
/** A run: its info, and its data (the latest value of each metric, every param and tag). */
export interface Run {
  info: RunInfo;
  data: RunData;
}

const nonFinite = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY } as const;

/**
 * A metric value as MLflow's JSON carries it: finite numbers as numbers, NaN and the infinities as
 * the strings `NaN`, `Infinity`, `-Infinity` (protobuf's JSON mapping of `double`; `JSON.stringify`
 * would turn them into `null`, which MLflow refuses). NaN comes back as NaN; a SQL-backed server stores
 * the infinities as ±1.7976931348623157e308 (`Number.MAX_VALUE`; `sanitize_metric_value` in
 * mlflow/store/tracking/sqlalchemy_store.py), which is what reads return.
 */
export function encodeMetricValue(value: number): Schemas['MetricValue'] {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/** The number a wire metric value stands for (inverse of `encodeMetricValue`). */
export function decodeMetricValue(value: Schemas['MetricValue']): number {
  return typeof value === 'number' ? value : nonFinite[value];
}

/** Wire form of a metric point (value encoded, step kept as given). */
export function encodeMetric(metric: Metric): WireMetric {
  return { ...metric, value: encodeMetricValue(metric.value) };
}

/** A metric point read from MLflow, with its value decoded and its step defaulting to 0 as MLflow does. */
export function decodeMetric(metric: WireMetric): Metric {
  return { key: metric.key, value: decodeMetricValue(metric.value), timestamp: metric.timestamp, step: metric.step ?? 0 };
}

/** A run read from MLflow, with empty lists filled in (MLflow leaves them out) and metric values decoded. */
export function decodeRun(run: Schemas['Run']): Run {
  return {
    info: run.info,
    data: {
      metrics: (run.data?.metrics ?? []).map(decodeMetric),
      params: run.data?.params ?? [],
      tags: run.data?.tags ?? [],
    },
  };
}
