import { priorityOfRank, type ExecutionRecord, type ExecutionStatus } from '@plz/contracts';
import type { ExecutionRow as StoredRow } from '@plz/lifecycle';
import { iso } from './database.js';

/** A row of `executions` (the lifecycle package's row type) joined with its user's name (`user`). */
export interface ExecutionRow extends StoredRow {
  user: string;
  /** created_at as text with microseconds, for pagination cursors. */
  cursor_at?: string;
}

/** Columns selected for an ExecutionRecord (users joined as `users`). */
export const recordColumns = [
  'executions.*',
  'users.name as user',
  'users.id as user_id',
] as const;

/**
 * Columns of `executions` but `measures`, which the pages that list executions do not show and
 * which are the largest column (a few KiB of JSON a row, parsed by pg on every read); read as NULL.
 */
export const recordColumnsWithoutMeasures = [
  // Every column toRecord maps but measures (a column added to the table and to toRecord goes here too).
  ...['id', 'project', 'name', 'tags', 'state', 'queue', 'snapshot', 'input', 'parameters', 'resources', 'max_run_seconds', 'sweep_id', 'rerun_of', 'reused_from', 'priority', 'exit_code', 'error', 'worker_id', 'gpus', 'mlflow_experiment_id', 'mlflow_run_id', 'summary', 'created_at', 'started_at', 'finished_at'].map((column) => `executions.${column}`),
  'users.name as user',
  'users.id as user_id',
] as const;

/** SQL giving created_at as UTC text with microseconds (a Date would lose them). */
export const cursorAtSql = `to_char(executions.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at`;

/** Maps a row to the API's ExecutionRecord (times as ISO 8601). */
export function toRecord(row: ExecutionRow): ExecutionRecord & { user_id: string } {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    tags: row.tags ?? [],
    user: row.user,
    user_id: row.user_id,
    state: row.state,
    queue: row.queue,
    snapshot: row.snapshot,
    input: row.input ?? null,
    parameters: row.parameters ?? {},
    resources: row.resources ?? {},
    max_run_seconds: row.max_run_seconds,
    sweep_id: row.sweep_id,
    rerun_of: row.rerun_of,
    reused_from: row.reused_from ?? null,
    priority: priorityOfRank(row.priority),
    exit_code: row.exit_code,
    error: row.error,
    worker_id: row.worker_id,
    gpus: row.gpus,
    mlflow_experiment_id: row.mlflow_experiment_id,
    mlflow_run_id: row.mlflow_run_id,
    measures: row.measures,
    summary: row.summary ?? null,
    created_at: iso(row.created_at)!,
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
  };
}

/** Columns of the short ExecutionStatus. */
export const statusColumns = ['id', 'state', 'queue', 'exit_code', 'error', 'worker_id', 'created_at', 'started_at', 'finished_at', 'priority'] as const;

/** Maps a row to the short ExecutionStatus (without its queue position: ExecutionQueries adds it). */
export function toStatus(row: Pick<ExecutionRow, (typeof statusColumns)[number]>): ExecutionStatus {
  return {
    id: row.id,
    state: row.state,
    queue: row.queue,
    exit_code: row.exit_code,
    error: row.error,
    worker_id: row.worker_id,
    created_at: iso(row.created_at)!,
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    priority: priorityOfRank(row.priority),
    queue_position: null,
  };
}
