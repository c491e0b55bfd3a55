import type { ExecutionState } from '@plz/contracts';

/**
 * A row of `executions` (migrations/001_initial.ts) as pg returns it: JSON columns parsed, times as
 * Date. The one row type of the table: the REST API maps it to the API's ExecutionRecord, the
 * worker runs from it (the queue job carries only the id).
 */
export interface ExecutionRow {
  id: string;
  project: string;
  name: string | null;
  tags: string[];
  user_id: string;
  /** The owner's user name (joined from `users`; absent where a statement returns the bare row). */
  user?: string;
  state: ExecutionState;
  queue: string;
  /** sha256 of the code snapshot. */
  snapshot: string;
  /** The resolved input (contracts JobInput: a stored input, or an earlier execution's output by its MLflow run), or null. */
  input: unknown;
  parameters: Record<string, unknown>;
  /** contracts Resources as requested (gpus, cpus, memory and shm_size in bytes). */
  resources: Record<string, unknown>;
  max_run_seconds: number | null;
  sweep_id: string | null;
  rerun_of: string | null;
  exit_code: number | null;
  error: string | null;
  worker_id: string | null;
  gpus: string[] | null;
  mlflow_experiment_id: string | null;
  mlflow_run_id: string | null;
  measures: Record<string, unknown> | null;
  summary: unknown;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
  /** Rank of contracts Priority: 0 high, 1 normal, 2 low. */
  priority: number;
  /** Claims by workers so far (each attempt to run it). */
  attempts: number;
  /** When a worker last took it (its use of the worker counts from there). */
  claimed_at: Date | null;
  /** Not to be taken before (the backoff after a transient failure while preparing). */
  not_before: Date | null;
  /**
   * The reuse key computed at submission (restapi services/executions/reuse-key.ts), or null (stored
   * before migration 005_reuse). Equal keys: the same snapshot, input, parameters and resources.
   */
  reuse_key: string | null;
  /** The earlier execution whose results this one took (`reuse`): it ran nothing; null for one that ran. */
  reused_from: string | null;
}

/** What a new execution is given; the rest starts empty and the state is `queued`. */
export type NewExecution = Pick<
  ExecutionRow,
  'id' | 'project' | 'name' | 'tags' | 'user_id' | 'queue' | 'snapshot' | 'input' | 'parameters' | 'resources' | 'max_run_seconds' | 'sweep_id' | 'rerun_of'
> &
  Partial<Pick<ExecutionRow, 'priority' | 'reuse_key'>>;

/** How an execution ended, as recorded: state, exit code, reason (or a note), measures and summary. */
export interface ExecutionEnd {
  state: 'succeeded' | 'failed' | 'stopped' | 'error';
  exitCode: number | null;
  /** The reason of an `error` or `stopped` end (or a note on another one, e.g. a truncated log). */
  error: string | null;
  measures: Record<string, unknown> | null;
  summary: unknown;
}

/** An `error` end with `reason` and nothing harvested. */
export const errorEnd = (reason: string): ExecutionEnd => ({ state: 'error', exitCode: null, error: reason, measures: null, summary: null });

/** A `stopped` end (on request), with an optional reason, nothing harvested. */
export const stoppedEnd = (reason: string | null = null): ExecutionEnd => ({ state: 'stopped', exitCode: null, error: reason, measures: null, summary: null });
