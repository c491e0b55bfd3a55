import { z } from 'zod';
import { ExecutionState } from './execution.js';
import { Priority } from './queue.js';

/**
 * An execution as stored in the `executions` table of the restapi database (migrations in
 * services/restapi) and returned by the REST API. The worker updates the fields marked (worker).
 * Times are ISO 8601 strings in the API, `timestamptz` in PostgreSQL.
 */
export const ExecutionRecord = z.object({
  id: z.string().uuid(),
  project: z.string(),
  name: z.string().nullable(),
  tags: z.array(z.string()),
  user: z.string(),
  state: ExecutionState, // (worker) after `queued`
  queue: z.string(),
  snapshot: z.string(),
  input: z.unknown().nullable(),
  parameters: z.record(z.string(), z.unknown()),
  resources: z.record(z.string(), z.unknown()),
  max_run_seconds: z.number().nullable(),
  sweep_id: z.string().uuid().nullable(),
  rerun_of: z.string().uuid().nullable(),
  /** The earlier execution whose results this one took (submitted with `reuse`; no job ran), else null. */
  reused_from: z.string().uuid().nullable(),
  priority: Priority,
  exit_code: z.number().int().nullable(), // (worker)
  error: z.string().nullable(), // (worker) reason of an `error` end
  worker_id: z.string().nullable(), // (worker)
  gpus: z.array(z.string()).nullable(), // (worker) device ids it ran on
  mlflow_experiment_id: z.string().nullable(), // (worker)
  mlflow_run_id: z.string().nullable(), // (worker)
  measures: z.record(z.string(), z.unknown()).nullable(), // (worker) at harvest
  summary: z.unknown().nullable(), // (worker) at harvest
  created_at: z.string(),
  started_at: z.string().nullable(), // (worker) container start
  finished_at: z.string().nullable(), // (worker)
});
export type ExecutionRecord = z.infer<typeof ExecutionRecord>;
