import { errorEnd } from '@plz/lifecycle';
import { harvest } from '../harvest/harvest.js';
import { MeasuresCollector } from '../measures/collector.js';
import { supervise } from '../run/supervise.js';
import type { ExecutionSession } from './session.js';

export interface FollowInput {
  /** When the container started (ms since the epoch): the maximum run time counts from it. */
  startedAtMs: number;
  maxRunSeconds: number | null | undefined;
  /** Log lines with Docker times up to this (ms) were streamed before a worker restart. */
  streamedUntilMs?: number | undefined;
  /** The execution has no input: its harvest may read /plz with one archive request (HarvestInput.withoutInput). */
  withoutInput?: boolean | undefined;
  /**
   * Hands the harvest of the exited container on (to run in the background: Finalizations.start);
   * resolves when handed on. Absent: the harvest is awaited here.
   */
  finalize?: ((harvest: () => Promise<void>) => Promise<void>) | undefined;
}

/**
 * Follows the session's started job container to its end and harvests it (a fresh start and a
 * re-attach after a restart alike), or hands the harvest to `input.finalize` once the container
 * has exited. When the worker shuts down meanwhile, the container is left
 * running for the next start to re-attach; a container removed behind the worker's back ends the
 * execution in `error`.
 */
export async function followAndHarvest(session: ExecutionSession, input: FollowInput): Promise<void> {
  const { ctx, id, log, run, containerId } = session;
  if (!run || !containerId) throw new Error(`execution ${id}: following needs its MLflow run and container`);
  const measures = new MeasuresCollector(ctx.containers, ctx.tracking, run.runId, log, session.logger, ctx.settings.maxMeasureFileBytes, ctx.config.JOB_MEASURES_MAX_BYTES);
  const outcome = await supervise(ctx, {
    executionId: id,
    containerId,
    log,
    measures,
    startedAtMs: input.startedAtMs,
    maxRunSeconds: input.maxRunSeconds,
    streamedUntilMs: input.streamedUntilMs,
    stopSignal: session.stop.signal,
    logger: session.logger,
    timings: session.timings,
  });
  if (outcome.kind === 'detached') {
    log.system('the worker is shutting down: the job keeps running and the worker will re-attach to it when it starts again');
    await session.detach();
    return;
  }
  if (outcome.kind === 'vanished') {
    session.containerId = undefined;
    await session.end(errorEnd('the job container vanished (removed outside plz)'));
    return;
  }
  const harvesting = () => harvest(session, { measures, exit: outcome, maxRunSeconds: input.maxRunSeconds, withoutInput: input.withoutInput });
  if (input.finalize) await input.finalize(harvesting);
  else await harvesting();
}
