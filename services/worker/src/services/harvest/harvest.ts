import { containerPaths, isTerminal } from '@plz/contracts';
import type { TrackedRun } from '../../adapters/mlflow.js';
import type { ExecutionEnd } from '../../repositories/executions.js';
import type { WorkerContext } from '../context.js';
import { finishExecution } from '../execution/finish.js';
import type { MeasuresCollector } from '../measures/collector.js';
import { measuresObject, summaryMetrics } from '../measures/parse.js';
import { readSummary } from '../measures/read.js';
import type { ExecutionLog } from '../run/executionLog.js';
import type { StopReason } from '../run/supervise.js';
import { formatBytes } from '../container/limits.js';
import { uploadOutputs } from './outputs.js';

export interface HarvestInput {
  executionId: string;
  containerId: string;
  run: TrackedRun;
  log: ExecutionLog;
  measures: MeasuresCollector;
  exit: { exitCode: number; oomKilled: boolean; memoryBytes?: number; stoppedFor: StopReason | undefined };
  maxRunSeconds: number | null | undefined;
}

/**
 * The end state of an exited job: stopped on request → `stopped`; past its maximum run time →
 * `error` ("maximum run time … exceeded": a limit of the deployment, not the job's failure, and the
 * reason is kept); a non-zero exit after the kernel's OOM killer struck in the container (inspect
 * `State.OOMKilled`) → `error` naming the memory limit (`HostConfig.Memory`); exit 0 →
 * `succeeded`; else `failed` with the code. Problems while harvesting turn the end into `error`, since something the
 * job produced was not kept.
 */
export function endOf(input: Pick<HarvestInput, 'exit' | 'maxRunSeconds'>, problems: readonly string[]): Pick<ExecutionEnd, 'state' | 'exitCode' | 'error'> {
  const { exitCode, oomKilled, stoppedFor, memoryBytes } = input.exit;
  if (problems.length > 0) return { state: 'error', exitCode, error: `harvest failed: ${problems.join('; ')}` };
  if (stoppedFor === 'user') return { state: 'stopped', exitCode, error: null };
  if (stoppedFor === 'timeout') return { state: 'error', exitCode, error: `maximum run time exceeded (${input.maxRunSeconds} s)` };
  if (exitCode === 0) return { state: 'succeeded', exitCode, error: null };
  if (oomKilled) {
    const limit = memoryBytes ? ` of ${formatBytes(memoryBytes)}` : '';
    return { state: 'error', exitCode, error: `out of memory: the job went past its memory limit${limit} and the kernel killed it (ask for more with resources.memory, up to the worker's JOB_MEMORY_MAX)` };
  }
  return { state: 'failed', exitCode, error: null };
}

/**
 * Harvests an exited job container, once: claims the `harvesting` state (a row that ended or
 * belongs to another worker is left alone), uploads the output folder, reads the measures and the
 * summary (saved in the row and, numeric leaves, as MLflow metrics), then records the end
 * (finishExecution: log artifact, MLflow run status, terminal state, live log end) and removes the
 * container.
 */
export async function harvest(ctx: WorkerContext, input: HarvestInput): Promise<void> {
  const { executionId, containerId, log } = input;
  const logger = ctx.logger.child({ execution_id: executionId });
  if (!(await ctx.executions.markHarvesting(executionId, ctx.config.WORKER_ID))) {
    const row = await ctx.executions.get(executionId);
    logger.warn({ state: row?.state, worker: row?.worker_id }, 'not harvesting: the execution ended or is not this worker\'s');
    await log.detach();
    if (!row || isTerminal(row.state)) await ctx.containers.remove(containerId);
    return;
  }
  log.system('harvesting the output, measures and summary');
  const problems: string[] = [];
  const onSkip = (path: string, reason: string) => log.system(`skipped ${path}: ${reason}`);
  try {
    const outputs = await uploadOutputs(ctx.containers, ctx.objects, containerId, input.run.artifactRoot, onSkip);
    log.system(`kept the output: ${outputs.files} file(s), ${outputs.bytes} bytes${outputs.skipped ? `, ${outputs.skipped} skipped` : ''}`);
  } catch (error) {
    logger.error({ err: error }, 'uploading the output failed');
    problems.push(`output: ${(error as Error).message}`);
  }
  let measures: Record<string, unknown> | null = null;
  try {
    const files = await input.measures.read(containerId);
    measures = measuresObject(files);
    await input.measures.send(files);
  } catch (error) {
    logger.error({ err: error }, 'reading or sending the measures failed');
    problems.push(`measures: ${(error as Error).message}`);
  }
  let summary: unknown = null;
  try {
    const archive = await ctx.containers.getArchive(containerId, containerPaths.summary);
    const read = archive ? await readSummary(archive, ctx.settings.maxMeasureFileBytes, onSkip) : undefined;
    if (read) {
      summary = read.summary;
      const metrics = summaryMetrics(read.summary, read.mtimeMs);
      if (metrics.length > 0) await ctx.tracking.log(input.run.runId, { metrics });
    }
  } catch (error) {
    logger.error({ err: error }, 'reading or sending the summary failed');
    problems.push(`summary: ${(error as Error).message}`);
  }
  const end: ExecutionEnd = { ...endOf(input, problems), measures, summary };
  await finishExecution(ctx, executionId, end, log, input.run);
  await ctx.containers.remove(containerId).catch((error: unknown) => logger.error({ err: error }, 'cannot remove the job container'));
}
