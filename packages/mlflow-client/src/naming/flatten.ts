import type { Metric, Param } from '../limits.js';
import { joinKey, keyLimits } from './keys.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Ends a param value cut to MLflow's 6000-character limit; it gives the original length so that a
 * reader knows the value is incomplete.
 */
export const truncationMarker = (originalLength: number): string => `…[truncated, ${originalLength} characters]`;

/**
 * A param value within MLflow's limit of 6000 characters (MAX_PARAM_VAL_LENGTH in
 * mlflow/utils/validation.py). Choice: a longer value is TRUNCATED, not refused: its first characters
 * are kept and `truncationMarker` is appended, the whole staying within the limit (MLflow's server
 * itself cuts silently when MLFLOW_TRUNCATE_LONG_VALUES is on, and refuses otherwise; a job's run
 * must not fail over one long parameter, and the full parameters stay in plz's own record).
 */
export function limitParamValue(value: string, limit: number = keyLimits.paramValueLength): string {
  if (value.length <= limit) return value;
  const marker = truncationMarker(value.length);
  let head = value.slice(0, limit - marker.length);
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return head + marker;
}

const paramText = (value: unknown): string | undefined => {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
};

/**
 * MLflow params from a nested parameters object (the `--parameters` JSON of an execution).
 *
 * - Nested object keys are joined with `.`: `{optimizer: {lr: 0.1}}` → `optimizer.lr = "0.1"`; an
 *   empty nested object becomes the value `{}`.
 * - Values are text: strings as they are, numbers and booleans with `String`, `null` as `null`,
 *   arrays as JSON (`[1,2]`); `undefined` entries are skipped, as JSON would.
 * - Keys go through `sanitizeKey` (MLflow's key rules); when two keys become the same, the later
 *   ones get `_2`, `_3`… so that no param is lost (MLflow refuses duplicate keys in a batch).
 * - Values longer than 6000 characters are truncated with a marker (`limitParamValue`).
 *
 * @param parameters a plain object; `undefined` and `null` give no params.
 * @throws TypeError when `parameters` is not an object (an array, a number…).
 */
export function flattenParams(parameters: unknown): Param[] {
  if (parameters === undefined || parameters === null) return [];
  if (!isPlainObject(parameters)) throw new TypeError(`parameters must be a JSON object, got ${Array.isArray(parameters) ? 'an array' : typeof parameters}`);
  const params: Param[] = [];
  const taken = new Set<string>();
  const add = (path: string[], text: string) => {
    const key = joinKey(...path);
    let unique = key;
    for (let n = 2; taken.has(unique); n += 1) unique = joinKey(`${key.slice(0, keyLimits.keyLength - 12)}_${n}`);
    taken.add(unique);
    params.push({ key: unique, value: limitParamValue(text) });
  };
  const walk = (value: Record<string, unknown>, path: string[]) => {
    for (const [name, child] of Object.entries(value)) {
      if (isPlainObject(child) && Object.keys(child).length > 0) walk(child, [...path, name]);
      else {
        const text = paramText(child);
        if (text !== undefined) add([...path, name], text);
      }
    }
  };
  walk(parameters, []);
  return params;
}

export interface MeasureOptions {
  /** Key of the measure as a whole (e.g. from its file path); nested keys are appended with `.`. */
  prefix?: string;
  /** Milliseconds since the Unix epoch for every point. */
  timestamp: number;
  /** Training step of every point (default 0, MLflow's). */
  step?: number;
}

/**
 * MLflow metric points from a measure (the parsed JSON of a measures file, or a summary): every
 * numeric leaf becomes a point whose key is the path to it joined with `.` after `prefix`, sanitised
 * with `sanitizeKey`. A bare number gives one point keyed `prefix` (or `value` without one). Strings,
 * booleans, nulls and arrays are not metrics and are skipped (an array's positions are not steps).
 *
 * @returns the points in document order; keys may repeat across calls with different steps.
 */
export function flattenMeasures(measure: unknown, options: MeasureOptions): Metric[] {
  const { prefix = '', timestamp, step = 0 } = options;
  const metrics: Metric[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (typeof value === 'number') metrics.push({ key: path.length ? joinKey(...path) : 'value', value, timestamp, step });
    else if (isPlainObject(value)) for (const [name, child] of Object.entries(value)) walk(child, [...path, name]);
  };
  walk(measure, prefix ? [prefix] : []);
  return metrics;
}
