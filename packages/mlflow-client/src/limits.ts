/**
 * Per-request limits of MLflow's `runs/log-batch` endpoint, from mlflow/utils/validation.py
 * (MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH, MAX_ENTITIES_PER_BATCH, MAX_BATCH_LOG_REQUEST_SIZE).
 */
export const logBatchLimits = {
  metrics: 1000,
  params: 100,
  tags: 100,
  entities: 1000,
  /** Bytes of the JSON request body. */
  requestBytes: 1_000_000,
} as const;

export interface Metric {
  key: string;
  value: number;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  step?: number;
}
export interface Param {
  key: string;
  value: string;
}
export interface Tag {
  key: string;
  value: string;
}
export interface LogBatch {
  metrics: Metric[];
  params: Param[];
  tags: Tag[];
}

const entityBytes = (entity: Metric | Param | Tag): number => Buffer.byteLength(JSON.stringify(entity)) + 1;

/**
 * Splits metrics, params and tags into `log-batch` requests that each stay within
 * `logBatchLimits` (counts per kind, 1000 entities in all, and the request size with 1 KB of
 * headroom for the run id and JSON framing). Order is kept within each kind.
 *
 * @throws Error when a single entity is larger than a whole request may be.
 */
export function splitLogBatch(batch: LogBatch, limits: typeof logBatchLimits = logBatchLimits): LogBatch[] {
  const budget = limits.requestBytes - 1024;
  const batches: LogBatch[] = [];
  let current: LogBatch = { metrics: [], params: [], tags: [] };
  let bytes = 0;
  const size = () => current.metrics.length + current.params.length + current.tags.length;
  const flush = () => {
    if (size() > 0) batches.push(current);
    current = { metrics: [], params: [], tags: [] };
    bytes = 0;
  };
  const add = <K extends keyof LogBatch>(kind: K, entity: LogBatch[K][number], max: number) => {
    const cost = entityBytes(entity);
    if (cost > budget) throw new Error(`MLflow ${kind} entry "${entity.key}" is ${cost} bytes, over the ${limits.requestBytes}-byte request limit`);
    if (current[kind].length >= max || size() >= limits.entities || bytes + cost > budget) flush();
    (current[kind] as Array<LogBatch[K][number]>).push(entity);
    bytes += cost;
  };
  for (const param of batch.params) add('params', param, limits.params);
  for (const tag of batch.tags) add('tags', tag, limits.tags);
  for (const metric of batch.metrics) add('metrics', metric, limits.metrics);
  flush();
  return batches;
}
