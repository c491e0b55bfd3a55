import { z } from 'zod';
import { Resources } from './execution.js';
import { Parameters, ProjectName, Sha256 } from './spec.js';

/**
 * The input of an execution as recorded on its row: a stored input by its hash, or an earlier
 * execution's output named by its MLflow run (resolved at submit), or null.
 */
export const JobInput = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('input'), sha256: Sha256 }).strict(),
    z
      .object({
        kind: z.literal('execution_output'),
        execution_id: z.string().uuid(),
        mlflow_experiment_id: z.string().min(1),
        mlflow_run_id: z.string().min(1),
      })
      .strict(),
  ])
  .nullable();
export type JobInput = z.infer<typeof JobInput>;

/**
 * The BullMQ job's data (job name `execution`): the id of the execution whose submission (job id =
 * execution id) or return to the queue added it. A job wakes a worker of its queue, which then
 * takes the execution the dispatcher chooses (fair share: @plz/lifecycle Dispatcher), not
 * necessarily this one; the row is the one record of what to run. Fields that jobs enqueued by
 * earlier versions carry are ignored.
 */
export const JobPayload = z.object({ execution_id: z.string().uuid() });
export type JobPayload = z.infer<typeof JobPayload>;

/**
 * What a worker runs, read from the row it claimed (validated on entry: a row written by another
 * version that does not fit ends the execution in `error` with the reason).
 */
export const JobSpec = z.object({
  execution_id: z.string().uuid(),
  project: ProjectName,
  /** Name of the user who submitted it (MLflow `mlflow.user` tag). */
  user: z.string().min(1),
  snapshot: Sha256,
  input: JobInput,
  parameters: Parameters,
  resources: Resources,
  max_run_seconds: z.number().int().positive().nullable(),
});
export type JobSpec = z.infer<typeof JobSpec>;

/** BullMQ job name of an execution. */
export const executionJobName = 'execution';

/**
 * BullMQ options of every execution job (BullMQ JobsOptions): finished jobs trimmed (state lives in
 * PostgreSQL), and a job that failed (PostgreSQL down when the worker woke) tried again with
 * exponential backoff; the reconciler adds jobs while a queue has fewer than its waiting executions.
 */
export const executionJobOptions = {
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
} as const;
