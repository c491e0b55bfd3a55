import type { JobSpec } from '@plz/contracts';
import type { ExecutionRow } from '@plz/lifecycle';
import { flattenParams } from '@plz/mlflow-client';
import type { TrackedRun } from '../../adapters/mlflow.js';
import type { WorkerContext } from '../context.js';

/**
 * Tags of an execution's MLflow run: the execution id, the user (MLflow's own `mlflow.user`), the
 * snapshot and input hashes (`execution:<id>` for an earlier execution's output, '' for none), the
 * worker and its GPUs (comma-separated device ids, `none` for a CPU worker).
 */
export function runTags(payload: JobSpec, workerId: string, gpus: readonly string[]): Record<string, string> {
  const input = payload.input === null ? '' : payload.input.kind === 'input' ? payload.input.sha256 : `execution:${payload.input.execution_id}`;
  return {
    'plz.execution_id': payload.execution_id,
    'mlflow.user': payload.user,
    'plz.project': payload.project,
    'plz.snapshot': payload.snapshot,
    'plz.input': input,
    'plz.worker': workerId,
    'plz.gpus': gpus.length ? gpus.join(',') : 'none',
  };
}

/**
 * The MLflow run of an execution: the one recorded on the row (a preparation started again), or a
 * new run in the project's experiment (one experiment per project), named after the execution,
 * with its tags and its parameters as params (nested keys joined with `.`; flattenParams), and
 * recorded on the row.
 */
export async function ensureRun(ctx: WorkerContext, payload: JobSpec, row: Pick<ExecutionRow, 'name' | 'mlflow_run_id'>): Promise<TrackedRun> {
  if (row.mlflow_run_id) return ctx.tracking.getRun(row.mlflow_run_id);
  const experimentId = await ctx.tracking.experimentFor(payload.project);
  const run = await ctx.tracking.createRun({
    experimentId,
    runName: row.name ?? payload.execution_id,
    startTime: Date.now(),
    tags: runTags(payload, ctx.config.WORKER_ID, ctx.config.gpus.deviceIds),
  });
  await ctx.executions.recordRun(payload.execution_id, run.experimentId, run.runId);
  const params = flattenParams(payload.parameters);
  if (params.length > 0) await ctx.tracking.log(run.runId, { params });
  return run;
}
