import type { Logger } from '../../logger.js';
import type { WorkerContext } from '../context.js';
import type { MeasuresCollector } from '../measures/collector.js';
import { splitTimestamp } from './dockerLogs.js';
import type { ExecutionLog } from './executionLog.js';
import type { PhaseTimings } from '../execution/timings.js';

/** Why the worker stopped a container: a user's request, or the execution's maximum run time. */
export type StopReason = 'user' | 'timeout';

/** How supervision ended: the container exited, or the worker is shutting down and let it run. */
export type Supervision =
  | { kind: 'exited'; exitCode: number; oomKilled: boolean; memoryBytes: number; stoppedFor: StopReason | undefined }
  | { kind: 'vanished' }
  | { kind: 'detached' };

export interface SuperviseInput {
  executionId: string;
  containerId: string;
  log: ExecutionLog;
  measures: MeasuresCollector;
  /** When the container started (ms since the epoch): the maximum run time counts from it. */
  startedAtMs: number;
  maxRunSeconds: number | null | undefined;
  /** Log lines with Docker times up to this (ms) were streamed before a worker restart: file only. */
  streamedUntilMs?: number | undefined;
  /** The session's stop signal (a stop request, or BullMQ cancelling the job): aborted, the container is stopped. */
  stopSignal: AbortSignal;
  /** The execution's logger (its session's). */
  logger: Logger;
  /** The execution's timings (`run`, `log_drain`, `exit_state`). */
  timings?: PhaseTimings | undefined;
}

/**
 * Resolves after `ms`, or at once when `signal` aborts or has aborted already (its listener removed
 * either way). An aborted signal fires no more 'abort' event: without the check, a loop whose
 * request was in flight when the job exited waited its whole period (5 s) before the worker took its
 * next execution (tools/bench/sweep-pace.mjs `--phases`: 2 of 100 executions).
 */
export const waitFor = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Follows a started job container until it exits: its stdout and stderr go to the execution log
 * (live stream and file), its measures are read every `measuresPollMs` and sent to MLflow, a stop
 * request (the session's stop signal, or `plz:stop:<id>` checked every `stopCheckMs`) or the maximum run time stops it (SIGTERM, SIGKILL after `stopGraceSeconds`). When the worker
 * shuts down (`ctx.detach`), supervision returns at once and the container keeps running.
 */
export async function supervise(ctx: WorkerContext, input: SuperviseInput): Promise<Supervision> {
  const { containerId, log, executionId } = input;
  const { logger } = input;
  const done = new AbortController();
  let stoppedFor: StopReason | undefined;
  const stop = (reason: StopReason) => {
    if (stoppedFor || done.signal.aborted) return;
    stoppedFor = reason;
    log.system(reason === 'user' ? 'stop requested: stopping the container' : `maximum run time of ${input.maxRunSeconds} s exceeded: stopping the container`);
    ctx.containers.stop(containerId, ctx.settings.stopGraceSeconds).catch((error: unknown) => logger.error({ err: error }, 'cannot stop the container'));
  };

  const ran = input.timings?.since('run');
  const follow = await ctx.containers.followLogs(containerId, (stream, message) => {
    const { timeMs, text } = splitTimestamp(message.toString('utf8'));
    const live = input.streamedUntilMs === undefined || timeMs === undefined || timeMs > input.streamedUntilMs;
    log.output(stream, text, live);
  });
  const logsDone = follow.done.catch((error: unknown) => logger.warn({ err: error }, 'the container log stream failed'));

  const onStopRequest = () => stop('user');
  input.stopSignal.addEventListener('abort', onStopRequest, { once: true });
  if (input.stopSignal.aborted) stop('user');
  const loops: Array<Promise<void>> = [];
  loops.push(
    (async () => {
      while (!done.signal.aborted) {
        if (await ctx.stopSignals.requested(executionId).catch(() => false)) stop('user');
        await waitFor(ctx.settings.stopCheckMs, done.signal);
      }
    })(),
    (async () => {
      while (!done.signal.aborted) {
        await waitFor(ctx.settings.measuresPollMs, done.signal);
        if (!done.signal.aborted) await input.measures.poll(containerId);
      }
    })(),
  );
  let deadline: NodeJS.Timeout | undefined;
  if (input.maxRunSeconds) {
    deadline = setTimeout(() => stop('timeout'), Math.max(0, input.startedAtMs + input.maxRunSeconds * 1000 - Date.now()));
  }

  const exited = waitForExit(ctx, containerId);
  let onDetach = () => undefined as void;
  const detached = new Promise<'detached'>((resolve) => {
    onDetach = () => resolve('detached');
    if (ctx.detach.aborted) onDetach();
    ctx.detach.addEventListener('abort', onDetach, { once: true });
  });
  try {
    const result = await Promise.race([exited, detached]);
    if (result === 'detached' || result === 'vanished') {
      follow.close();
      return { kind: result };
    }
    ran?.();
    // The log stream ends when the container stops; wait a little for its last lines.
    const drained = input.timings?.since('log_drain');
    await Promise.race([logsDone, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    drained?.();
    follow.close();
    // Exit code 0 needs nothing more (the OOM killer and the memory limit matter only to a failure).
    if (result === 0) return { kind: 'exited', exitCode: 0, oomKilled: false, memoryBytes: 0, stoppedFor };
    const inspected = input.timings?.since('exit_state');
    const state = await ctx.containers.inspect(containerId);
    inspected?.();
    if (!state) return { kind: 'vanished' };
    return { kind: 'exited', exitCode: state.exitCode, oomKilled: state.oomKilled, memoryBytes: state.memoryBytes, stoppedFor };
  } finally {
    done.abort();
    ctx.detach.removeEventListener('abort', onDetach);
    if (deadline) clearTimeout(deadline);
    input.stopSignal.removeEventListener('abort', onStopRequest);
    await Promise.all(loops);
  }
}

/**
 * The container's exit code: Docker's wait endpoint, and when that connection fails (an engine
 * restart), inspecting every 2 s until the container is no longer running; 'vanished' when the
 * container no longer exists (removed behind the worker's back).
 */
async function waitForExit(ctx: WorkerContext, containerId: string): Promise<number | 'vanished'> {
  try {
    return await ctx.containers.wait(containerId);
  } catch (error) {
    ctx.logger.warn({ err: error, container: containerId }, 'waiting on the container failed; polling its state');
  }
  for (;;) {
    const state = await ctx.containers.inspect(containerId).catch(() => null);
    if (state === undefined) return 'vanished';
    if (state && !state.running) return state.exitCode;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}
