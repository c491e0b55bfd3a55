import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { artifactPaths, buckets } from '@plz/contracts';
import type { RunEndStatus, TrackedRun } from '../../adapters/mlflow.js';
import type { ExecutionEnd } from '../../repositories/executions.js';
import type { WorkerContext } from '../context.js';
import type { ExecutionLog } from '../run/executionLog.js';

/** MLflow status of each end state: succeeded FINISHED, stopped KILLED, failed and error FAILED. */
export const runStatusOf = (state: ExecutionEnd['state']): RunEndStatus => (state === 'succeeded' ? 'FINISHED' : state === 'stopped' ? 'KILLED' : 'FAILED');

/** A one-line account of the end, for the log. */
export function describeEnd(end: ExecutionEnd): string {
  const code = end.exitCode !== null ? ` (exit code ${end.exitCode})` : '';
  return `execution ${end.state}${code}${end.error ? `: ${end.error}` : ''}`;
}

/**
 * Records the end of an execution, whatever stage it reached, in this order so that a reader who
 * sees the terminal state finds everything else in place: the full log uploaded as
 * `logs/execution.log` and the MLflow run ended (when there is a run), the row's terminal state
 * (conditional: a row already ended is left alone), then the live log's `end` entry. Failures of
 * the first steps are logged and do not prevent the next ones.
 *
 * @returns false when the row had already ended (another path recorded the end first).
 */
export async function finishExecution(ctx: WorkerContext, executionId: string, end: ExecutionEnd, log: ExecutionLog | undefined, run: TrackedRun | undefined): Promise<boolean> {
  const logger = ctx.logger.child({ execution_id: executionId });
  end = withNotes(end, log?.truncatedAt === undefined ? [] : [`the log was truncated at ${log.truncatedAt} bytes (JOB_LOG_MAX_BYTES)`]);
  if (log) {
    log.system(describeEnd(end));
    await log.close();
    if (run) {
      await ctx.objects
        .write(buckets.mlflow, `${run.artifactRoot}/${artifactPaths.log}`, createReadStream(log.filePath), 'text/plain; charset=utf-8')
        .catch((error: unknown) => logger.error({ err: error }, 'cannot upload the execution log'));
    }
  }
  if (run) {
    const tags = [
      { key: 'plz.state', value: end.state },
      ...(end.exitCode !== null ? [{ key: 'plz.exit_code', value: String(end.exitCode) }] : []),
      ...(end.error ? [{ key: 'plz.error', value: end.error.slice(0, 8000) }] : []),
    ];
    await ctx.tracking.log(run.runId, { tags }).catch((error: unknown) => logger.error({ err: error }, 'cannot tag the MLflow run'));
    await ctx.tracking.endRun(run.runId, runStatusOf(end.state), Date.now()).catch((error: unknown) => logger.error({ err: error }, 'cannot end the MLflow run'));
  }
  const changed = await ctx.executions.finish(executionId, end);
  if (changed) {
    await ctx.logStream.end(executionId, end.state, ctx.settings.logStreamTtlSeconds).catch((error: unknown) => logger.error({ err: error }, 'cannot end the live log'));
    logger.info({ state: end.state, exit_code: end.exitCode, error: end.error }, 'execution ended');
  } else {
    logger.warn({ state: end.state }, 'the execution had already ended; its end is left as it was');
  }
  if (log) await unlink(log.filePath).catch(() => undefined);
  return changed;
}

/**
 * Adds notes (something not kept that did not change the outcome: a truncated log, measures past
 * their cap) to the end's `error`: the state stays the job's own (a `succeeded` job keeps its state
 * and gets the note as its `error`), an existing reason comes first.
 */
export function withNotes(end: ExecutionEnd, notes: readonly string[]): ExecutionEnd {
  if (notes.length === 0) return end;
  return { ...end, error: [end.error, ...notes].filter(Boolean).join('; ') };
}

/** An `error` end with `reason` and nothing harvested. */
export const errorEnd = (reason: string): ExecutionEnd => ({ state: 'error', exitCode: null, error: reason, measures: null, summary: null });
