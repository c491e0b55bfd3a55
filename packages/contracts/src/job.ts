import { z } from 'zod';
import { Resources } from './execution.js';
import { Parameters, ProjectName, Sha256 } from './spec.js';

/**
 * The BullMQ job's data for one execution (job name `execution`, job id = execution id), written
 * by the REST API and validated by the worker on entry. Inputs are resolved: an earlier
 * execution's output is named by its MLflow run.
 */
export const JobPayload = z
  .object({
    execution_id: z.string().uuid(),
    project: ProjectName,
    /** Name of the user who submitted it (MLflow `mlflow.user` tag). */
    user: z.string().min(1),
    snapshot: Sha256,
    input: z
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
      .nullable(),
    parameters: Parameters,
    resources: Resources,
    max_run_seconds: z.number().int().positive().optional(),
  })
  .strict();
export type JobPayload = z.infer<typeof JobPayload>;

/** BullMQ job name of an execution. */
export const executionJobName = 'execution';
