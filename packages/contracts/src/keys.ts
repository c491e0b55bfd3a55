/**
 * Names shared by the REST API and the workers in Redis and MinIO (ARCHITECTURE.md §5).
 * Changing one is a breaking change between services of one deployment.
 */

/** BullMQ key prefix: queues live under `plz:bull:<queue>:*`. */
export const bullPrefix = 'plz:bull';

/** Redis stream of an execution's log lines (fields `stream`, `line`); capped (approximately) at this many entries. */
export const logStreamKey = (executionId: string): string => `plz:logs:${executionId}`;
export const logStreamMaxLength = 10_000;
/** Values of the `stream` field of a log entry. */
export const logStreams = ['stdout', 'stderr', 'build', 'system'] as const;
export type LogStreamName = (typeof logStreams)[number];
/** Entry added to the log stream when the execution has ended (field `end`, value the final state). */
export const logEndField = 'end';

/**
 * Worker heartbeats: a hash per worker at `plz:workers:<worker_id>`, refreshed every
 * `heartbeatIntervalMs` and expiring after `heartbeatTtlSeconds`, with fields `worker_id`, `queue`,
 * `gpus` (JSON array of device ids), `execution_id` ('' when idle), `hostname`, `started_at`,
 * `heartbeat_at` (ISO 8601).
 */
export const workerKey = (workerId: string): string => `plz:workers:${workerId}`;
export const workerKeyPattern = 'plz:workers:*';
export const heartbeatIntervalMs = 5_000;
/**
 * When each worker last wrote its heartbeat: one hash (field the worker id, value ISO 8601), kept
 * without expiry, so that the REST API's reconciler can tell for how long a worker has been gone.
 */
export const workersLastSeenKey = 'plz:workers-last-seen';
export const heartbeatTtlSeconds = 30;

/**
 * Stop requests: the REST API sets `plz:stop:<execution_id>` (kept a day, so a worker that starts
 * the job later still sees it) and publishes the execution id on `plz:stop`.
 */
export const stopChannel = 'plz:stop';
export const stopKey = (executionId: string): string => `plz:stop:${executionId}`;
export const stopKeyTtlSeconds = 24 * 3600;

/**
 * Last use of each job image on one Docker host: a sorted set per engine at
 * `plz:job-images:<docker engine id>` (member the image tag `plz-job:…`, score the time in ms since
 * the epoch), written by every worker of that host when a job starts from an image or builds it;
 * the least recently used images are pruned beyond the workers' cache cap.
 */
export const jobImageUsesKey = (engineId: string): string => `plz:job-images:${engineId}`;

/** MinIO buckets and object keys. */
export const buckets = { snapshots: 'plz-snapshots', inputs: 'plz-inputs', mlflow: 'mlflow' } as const;
export const snapshotObjectKey = (sha256: string): string => `${sha256}.tar.gz`;
export const inputObjectKey = (sha256: string): string => `${sha256}.tar`;

/**
 * Artifact layout of an execution's MLflow run, under the run's artifact root
 * (`<experiment_id>/<run_id>/artifacts/` in the `mlflow` bucket).
 */
export const artifactPaths = {
  output: 'output',
  log: 'logs/execution.log',
  measures: 'measures',
  summary: 'summary.json',
} as const;
export const runArtifactPrefix = (experimentId: string, runId: string): string => `${experimentId}/${runId}/artifacts/`;
