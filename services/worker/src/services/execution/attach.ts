import type { TrackedRun } from '../../adapters/mlflow.js';
import type { WorkerContext } from '../context.js';
import { harvest } from '../harvest/harvest.js';
import { MeasuresCollector } from '../measures/collector.js';
import type { ExecutionLog } from '../run/executionLog.js';
import { supervise } from '../run/supervise.js';
import { errorEnd, finishExecution } from './finish.js';

export interface FollowInput {
  executionId: string;
  containerId: string;
  run: TrackedRun;
  log: ExecutionLog;
  startedAtMs: number;
  maxRunSeconds: number | null | undefined;
  streamedUntilMs?: number | undefined;
  jobSignal?: AbortSignal | undefined;
}

/**
 * Follows a started job container to its end and harvests it (a fresh start and a re-attach after
 * a restart alike). When the worker shuts down meanwhile, the container is left running for the
 * next start to re-attach; a container removed behind the worker's back ends the execution in `error`.
 */
export async function followAndHarvest(ctx: WorkerContext, input: FollowInput): Promise<void> {
  const { executionId, containerId, run, log } = input;
  const measures = new MeasuresCollector(ctx.containers, ctx.tracking, run.runId, log, ctx.logger.child({ execution_id: executionId }), ctx.settings.maxMeasureFileBytes, ctx.config.JOB_MEASURES_MAX_BYTES);
  const outcome = await supervise(ctx, { executionId, containerId, log, measures, startedAtMs: input.startedAtMs, maxRunSeconds: input.maxRunSeconds, streamedUntilMs: input.streamedUntilMs, jobSignal: input.jobSignal });
  if (outcome.kind === 'detached') {
    log.system('the worker is shutting down: the job keeps running and the worker will re-attach to it when it starts again');
    await log.detach();
    return;
  }
  if (outcome.kind === 'vanished') {
    await finishExecution(ctx, executionId, errorEnd('the job container vanished (removed outside plz)'), log, run);
    return;
  }
  await harvest(ctx, { executionId, containerId, run, log, measures, exit: outcome, maxRunSeconds: input.maxRunSeconds });
}
