import type { JobSpec } from '@plz/contracts';
import type { ExecutionRow } from '@plz/lifecycle';
import { flattenParams, mlflowTags } from '@plz/mlflow-client';
import type { TrackedRun } from '../../adapters/mlflow.js';
import type { WorkerContext } from '../context.js';

/** Where an execution's page is in plz's web view: its path, and its full URL when the deployment's address is known. */
export interface ExecutionPage {
  /** `/executions/<id>`, on the deployment's origin (the one that serves MLflow's UI under `/mlflow/`). */
  path: string;
  /** `<webUrl>/executions/<id>`; absent without `webUrl`. */
  url?: string;
}

/**
 * The page of execution `executionId` in plz's web view.
 *
 * @param webUrl the deployment's origin as browsers reach it (config WEB_URL: `https://host[:port]`,
 *   no trailing slash), or undefined when the worker was not told it.
 */
export function executionPage(executionId: string, webUrl: string | undefined): ExecutionPage {
  const path = `/executions/${encodeURIComponent(executionId)}`;
  return webUrl === undefined ? { path } : { path, url: `${webUrl}${path}` };
}

/**
 * The run's description (MLflow's `mlflow.note.content`, Markdown that MLflow's run page renders):
 * one line linking to the execution's page, by its full URL, or by its path when the URL is not
 * known (a link relative to the origin, which MLflow's UI shares with plz's pages).
 */
export function runDescription(executionId: string, page: ExecutionPage): string {
  return `plz execution [${executionId}](${page.url ?? page.path}): logs, outputs and state in plz.`;
}

/**
 * Tags of an execution's MLflow run: the execution id, the user (MLflow's own `mlflow.user`), the
 * snapshot and input hashes (`execution:<id>` for an earlier execution's output, '' for none), the
 * worker and its GPUs (comma-separated device ids, `none` for a CPU worker), the URL of the
 * execution's page (`plz.execution_url`, only when `webUrl` is known) and the run's description
 * linking to that page (`mlflow.note.content`, runDescription).
 *
 * @param webUrl the deployment's origin as browsers reach it (config WEB_URL), or undefined.
 */
export function runTags(payload: JobSpec, workerId: string, gpus: readonly string[], webUrl?: string): Record<string, string> {
  const input = payload.input === null ? '' : payload.input.kind === 'input' ? payload.input.sha256 : `execution:${payload.input.execution_id}`;
  const page = executionPage(payload.execution_id, webUrl);
  return {
    'plz.execution_id': payload.execution_id,
    [mlflowTags.user]: payload.user,
    'plz.project': payload.project,
    'plz.snapshot': payload.snapshot,
    'plz.input': input,
    'plz.worker': workerId,
    'plz.gpus': gpus.length ? gpus.join(',') : 'none',
    ...(page.url === undefined ? {} : { 'plz.execution_url': page.url }),
    [mlflowTags.note]: runDescription(payload.execution_id, page),
  };
}

/**
 * The MLflow run of an execution: the one recorded on the row (a preparation started again), or a
 * new run in the project's experiment (one experiment per project, a model-training experiment for
 * MLflow's UI: MlflowTracking.experimentFor), named after the execution, with its tags (runTags,
 * the link to its page in plz among them), and recorded on the row. Its parameters are the
 * caller's to log (logParams), in the background: the job need not wait for them.
 *
 * @throws MLflow's or PostgreSQL's error when the run cannot be created, read back or recorded.
 */
export async function ensureRun(ctx: WorkerContext, payload: JobSpec, row: Pick<ExecutionRow, 'name' | 'mlflow_run_id'>): Promise<TrackedRun> {
  if (row.mlflow_run_id) return ctx.tracking.getRun(row.mlflow_run_id);
  const create = async () =>
    ctx.tracking.createRun({
      experimentId: await ctx.tracking.experimentFor(payload.project),
      runName: row.name ?? payload.execution_id,
      startTime: Date.now(),
      tags: runTags(payload, ctx.config.WORKER_ID, ctx.config.gpus.deviceIds, ctx.config.WEB_URL),
    });
  let run: TrackedRun;
  try {
    run = await create();
  } catch {
    // The remembered experiment may have been deleted in MLflow since: look it up again, once.
    ctx.tracking.forgetExperiment(payload.project);
    run = await create();
  }
  await ctx.executions.recordRun(payload.execution_id, run.experimentId, run.runId);
  return run;
}

/**
 * Logs an execution's parameters as the params of its MLflow run (nested keys joined with `.`:
 * flattenParams; MLflow's log-batch). Logging them again with the same values is harmless (MLflow
 * refuses only a different value for a logged key), so a re-attached or re-prepared execution
 * logs them again: a worker may have stopped before they were logged.
 *
 * @throws MLflow's error (a transient one is not tried again here: the caller's persist does that).
 */
export async function logParams(ctx: WorkerContext, runId: string, parameters: JobSpec['parameters']): Promise<void> {
  const params = flattenParams(parameters);
  if (params.length > 0) await ctx.tracking.log(runId, { params });
}
