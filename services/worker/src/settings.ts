import type { PhaseDurations } from './services/execution/timings.js';

/**
 * Tunables of the worker that are not deployment settings (no environment variable): the
 * defaults suit production; tests and benchmarks pass shorter periods to `startWorker`.
 */
export interface WorkerSettings {
  /** How often the measures directory of a running job is read, in ms. */
  measuresPollMs: number;
  /** How often `plz:stop:<id>` is checked besides the pub/sub channel (a missed message is caught), in ms. */
  stopCheckMs: number;
  /** Seconds between SIGTERM and SIGKILL when a job is stopped (Docker's `t` of container stop). */
  stopGraceSeconds: number;
  /**
   * BullMQ lock duration in ms. BullMQ renews the lock every half of it while the processor runs,
   * so jobs may run for days; a crashed worker's job is seen as stalled after this long.
   */
  lockDurationMs: number;
  /** Largest measure file read, in bytes; bigger files are skipped with a warning in the log. */
  maxMeasureFileBytes: number;
  /**
   * How long recording an outcome (outputs, measures, the full log, the MLflow run's end) is tried
   * again while MinIO or MLflow is unavailable, ms; the end itself is tried until PostgreSQL answers.
   */
  recordRetryMs: number;
  /**
   * Claims of one execution before a transient failure while preparing ends it in `error` (the
   * last attempt), and the backoff before the first retry, ms (doubled at each further attempt).
   */
  claimAttempts: number;
  retryBackoffMs: number;
  /**
   * How often an idle worker checks its queue for an execution it could take, ms: when one waits
   * while no job wakes a worker (a wake-up lost with Redis's data, or a delayed one that never
   * came), it adds one, so that nothing waits on the REST API's reconciler alone.
   */
  idleWakeMs: number;
  /**
   * Finalizations (harvest and recorded end of an exited job) that may go on in the background
   * while the worker takes its next execution (execution/finalizations.ts); 0: each one before the
   * next execution is taken.
   */
  backgroundFinalizations: number;
  /** Extra labels put on job containers and images (tests use them to clean up). */
  extraLabels: Record<string, string>;
  /** Folder for the full logs of running executions (one file each, removed after upload). */
  logDirectory: string;
  /**
   * Called with the phase durations of each execution this worker ended (ms; execution/timings.ts),
   * after its end was recorded; benchmarks collect them. Must not throw.
   */
  onTimings?: ((executionId: string, phases: PhaseDurations) => void) | undefined;
}

/** Production values of the tunables (the log directory is chosen by app.ts: the system's temporary folder). */
export const defaultSettings: Omit<WorkerSettings, 'logDirectory'> = {
  measuresPollMs: 5_000,
  stopCheckMs: 5_000,
  stopGraceSeconds: 30,
  lockDurationMs: 120_000,
  maxMeasureFileBytes: 1024 ** 2,
  recordRetryMs: 15 * 60_000,
  claimAttempts: 5,
  retryBackoffMs: 2_000,
  idleWakeMs: 30_000,
  backgroundFinalizations: 1,
  extraLabels: {},
};
