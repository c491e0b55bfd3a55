import { isTerminal, labels } from '@plz/contracts';
import { errorEnd } from '@plz/lifecycle';
import type { WorkerContext } from '../context.js';
import { maxRunSecondsLabel } from '../container/spec.js';
import { followAndHarvest } from './attach.js';
import { runStatusOf } from './finish.js';
import { logParams } from './mlflowRun.js';
import { ExecutionSession } from './session.js';

/**
 * Recovery at start, before the worker takes new jobs: every container labelled with this
 * worker's id is looked at. A running or exited job container of an execution in `running` or
 * `harvesting` is re-attached in a session (its log continues from the container's own log, lines
 * already streamed are not streamed again; the harvest happens once, guarded by the row's state).
 * A container of an ended execution is removed (and its MLflow run ended if still RUNNING: the
 * REST API or its reconciler ended it while the worker was gone). An execution still `preparing`
 * goes back to the queue (nothing of the job ran), its container removed. Executions this worker
 * held in `running` or `harvesting` whose container is gone end in `error`.
 *
 * @returns the re-attached executions' supervision, running in the background.
 */
export async function recover(ctx: WorkerContext): Promise<Array<Promise<void>>> {
  const me = ctx.config.WORKER_ID;
  const logger = ctx.logger.child({ phase: 'recovery' });
  const found = await ctx.containers.listByLabel(labels.worker, me);
  const attached: Array<Promise<void>> = [];
  const seen = new Set<string>();
  for (const container of found) {
    const executionId = container.labels[labels.execution];
    if (!executionId) continue;
    seen.add(executionId);
    const row = await ctx.executions.get(executionId);
    if (!row || isTerminal(row.state)) {
      logger.info({ execution_id: executionId, state: row?.state }, 'removing the container of an ended execution');
      await ctx.containers.remove(container.id);
      if (row?.mlflow_run_id && isTerminal(row.state)) {
        const closed = await ctx.tracking.endIfRunning(row.mlflow_run_id, runStatusOf(row.state), (row.finished_at ?? new Date()).getTime()).catch((error: unknown) => {
          logger.warn({ err: error, execution_id: executionId }, 'could not end the MLflow run of an ended execution');
          return false;
        });
        if (closed) logger.info({ execution_id: executionId, mlflow_run_id: row.mlflow_run_id }, 'ended the MLflow run of an execution that ended without this worker');
      }
      continue;
    }
    if (row.state === 'queued' || row.state === 'preparing' || row.worker_id !== me || !row.mlflow_run_id) {
      logger.warn({ execution_id: executionId, state: row.state }, 'removing a container whose execution never started');
      await ctx.containers.remove(container.id);
      if (row.state === 'preparing' && row.worker_id === me && (await ctx.executions.release(executionId, me))) {
        logger.info({ execution_id: executionId }, 'the execution goes back to the queue');
        await ctx.wake(executionId, 0);
      }
      continue;
    }
    logger.info({ execution_id: executionId, state: row.state, container: container.state }, 're-attaching to a job container');
    const streamedUntilMs = await ctx.logStream.lastOutputTime(executionId);
    const session = await ExecutionSession.open(ctx, executionId);
    session.containerId = container.id;
    session.log.system(`worker ${me} restarted and re-attached to the job container (its log below is the container's, from its start)`);
    ctx.busy.add(executionId);
    ctx.busyChanged();
    attached.push(
      (async () => {
        const run = await session.persist('reading the MLflow run', () => ctx.tracking.getRun(row.mlflow_run_id!));
        session.run = run;
        // the worker may have stopped before the params were logged: again (same values, harmless)
        session.defer('the parameters could not be logged in MLflow', session.persist('logging the parameters in MLflow', () => logParams(ctx, run.runId, row.parameters)));
        await followAndHarvest(session, {
          startedAtMs: (row.started_at ?? new Date()).getTime(),
          // the request's, else the one the container was created with, else today's default
          maxRunSeconds: row.max_run_seconds ?? (Number(container.labels[maxRunSecondsLabel]) || ctx.config.JOB_MAX_RUN_SECONDS_DEFAULT),
          streamedUntilMs: streamedUntilMs ?? 0,
          withoutInput: row.input === null,
        });
      })()
        .catch(async (error: unknown) => {
          if (ctx.detach.aborted) return;
          logger.error({ err: error, execution_id: executionId }, 'the re-attached execution failed in the worker');
          await session.end(errorEnd(`worker failure: ${(error as Error).message}`)).catch(() => undefined);
        })
        .finally(() => {
          session.close();
          ctx.busy.delete(executionId);
          ctx.busyChanged();
        }),
    );
  }
  for (const row of await ctx.executions.listActive(me)) {
    if (seen.has(row.id)) continue;
    if (row.state === 'preparing') {
      if (await ctx.executions.release(row.id, me)) {
        logger.info({ execution_id: row.id }, 'the worker restarted while preparing the execution: it goes back to the queue');
        await ctx.wake(row.id, 0);
      }
      continue;
    }
    const reason = 'the job container vanished while the worker was away';
    logger.warn({ execution_id: row.id, state: row.state }, reason);
    await ctx.executions.finish(row.id, errorEnd(reason), me);
    await ctx.logStream.end(row.id, 'error').catch(() => undefined);
  }
  return attached;
}
