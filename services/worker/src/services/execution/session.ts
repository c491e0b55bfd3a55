import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { artifactPaths, buckets } from '@plz/contracts';
import type { ExecutionEnd } from '@plz/lifecycle';
import type { TrackedRun } from '../../adapters/mlflow.js';
import type { Logger } from '../../logger.js';
import type { WorkerContext } from '../context.js';
import { ExecutionLog } from '../run/executionLog.js';
import { describeEnd, runStatusOf, withNotes } from './finish.js';
import { persist } from './persist.js';
import { PhaseTimings } from './timings.js';

/**
 * One execution in this worker, from the moment it is claimed (or re-attached at start) to its
 * recorded end: its id, its one logger, its log (live stream and file), its one stop signal (the
 * `plz:stop` subscription and BullMQ's cancel, relayed once), its MLflow run and its container once
 * known, and the single end path (`end`). A fresh run and recovery both go through it.
 */
export class ExecutionSession {
  /** The MLflow run, once created or read back. */
  run: TrackedRun | undefined;
  /** The job container, once created. */
  containerId: string | undefined;
  /** Aborted by a stop request for this execution (or BullMQ cancelling its job). */
  readonly stop = new AbortController();
  /** Where this execution's time in the worker goes (logged at debug level at its end). */
  readonly timings: PhaseTimings;
  #unsubscribe: () => void = () => undefined;
  #ending: Promise<boolean> | undefined;
  /** Writes begun in the background (defer): each one's failure as a note of the end, or undefined. */
  readonly #deferred: Array<Promise<string | undefined>> = [];

  private constructor(
    readonly ctx: WorkerContext,
    readonly id: string,
    readonly logger: Logger,
    readonly log: ExecutionLog,
    startedAt: number | undefined,
  ) {
    this.timings = new PhaseTimings(startedAt);
  }

  /**
   * Opens the session: the execution's log file (appended to with `append`, as after a restart) and
   * its stop subscription. `startedAt` (performance.now(), ms): when the work on it began (its
   * claim), for its timings; default now.
   */
  static async open(ctx: WorkerContext, id: string, options: { append?: boolean; startedAt?: number } = {}): Promise<ExecutionSession> {
    const logger = ctx.logger.child({ execution_id: id });
    const log = await ExecutionLog.open(ctx.settings.logDirectory, id, ctx.logStream, logger, { maxBytes: ctx.config.JOB_LOG_MAX_BYTES, append: options.append ?? false });
    const session = new ExecutionSession(ctx, id, logger, log, options.startedAt);
    session.#unsubscribe = ctx.stopSignals.onStop(id, () => session.stop.abort());
    return session;
  }

  /** Relays `signal` (BullMQ cancelling the job) to the session's stop signal. */
  relay(signal: AbortSignal | undefined): void {
    if (!signal) return;
    if (signal.aborted) this.stop.abort();
    else signal.addEventListener('abort', () => this.stop.abort(), { once: true, signal: this.stop.signal });
  }

  /** True when a stop was requested: the signal, else the `plz:stop:<id>` key (a message missed while Redis was away). */
  async stopRequested(): Promise<boolean> {
    return this.stop.signal.aborted || (await this.ctx.stopSignals.requested(this.id));
  }

  /** `write`, tried again while its dependency is down (persist), for at most the worker's recordRetryMs, until shutdown. */
  persist<T>(what: string, write: () => Promise<T>, maxMs: number = this.ctx.settings.recordRetryMs): Promise<T> {
    return persist(what, write, this.logger, { maxMs, signal: this.ctx.detach });
  }

  /**
   * A write begun in the background that the end waits for (the MLflow run's parameters, logged
   * while the job starts): when it fails, `what` and its error become a note of the end's `error`
   * (withNotes: the state stays the job's own), as for the log. Never rejects unhandled.
   */
  defer(what: string, write: Promise<unknown>): void {
    this.#deferred.push(write.then(
      () => undefined,
      (error: unknown) => {
        this.logger.warn({ err: error }, what);
        return `${what}: ${(error as Error).message}`;
      },
    ));
  }

  /**
   * The single end path: records `end` so that a reader who sees the terminal state finds everything
   * else in place: the deferred writes done (defer), the log closed and uploaded as the run's `logs/execution.log`, the MLflow run
   * tagged and ended (each tried again while MinIO or MLflow is down, for recordRetryMs; what could
   * not be stored is added to the end's `error`), then the row's terminal state (tried until
   * PostgreSQL answers; conditional: a row another path ended is left alone), and only then the
   * live log's `end` entry and the container's removal (at once), and the log file's. When the end cannot be
   * recorded (the worker shuts down meanwhile, or PostgreSQL refuses it), the container and the
   * log file stay for the next start to finish the job. Called twice, the second call gets the
   * first's outcome.
   *
   * @returns false when the row had ended already (nothing changed).
   * @throws the error that kept the end from being recorded.
   */
  end(end: ExecutionEnd): Promise<boolean> {
    this.#ending ??= this.#record(end);
    return this.#ending;
  }

  async #record(end: ExecutionEnd): Promise<boolean> {
    const { ctx, log, run } = this;
    const deferred = (await Promise.all(this.#deferred)).filter((note): note is string => note !== undefined);
    const notes = [...(log.truncatedAt === undefined ? [] : [`the log was truncated at ${log.truncatedAt} bytes (JOB_LOG_MAX_BYTES)`]), ...deferred];
    const { timings } = this;
    log.system(describeEnd(withNotes(end, notes)));
    const logUploaded = timings.since('log_upload');
    await log.close();
    if (run) {
      await this.persist('storing the full log', () =>
        ctx.objects.write(buckets.mlflow, `${run.artifactRoot}/${artifactPaths.log}`, createReadStream(log.filePath), 'text/plain; charset=utf-8'),
      ).catch((error: unknown) => notes.push(`the full log could not be stored: ${(error as Error).message}`));
    }
    logUploaded();
    const recorded = withNotes(end, notes);
    if (run) {
      const tags = [
        { key: 'plz.state', value: recorded.state },
        ...(recorded.exitCode !== null ? [{ key: 'plz.exit_code', value: String(recorded.exitCode) }] : []),
        ...(recorded.error ? [{ key: 'plz.error', value: recorded.error.slice(0, 8000) }] : []),
      ];
      const endTime = Date.now();
      // tags and status are independent writes: both at once
      await timings.time('mlflow_end', () =>
        this.persist('ending the MLflow run', () => Promise.all([ctx.tracking.log(run.runId, { tags }), ctx.tracking.endRun(run.runId, runStatusOf(recorded.state), endTime)])).catch(
          (error: unknown) => this.logger.error({ err: error }, 'cannot end the MLflow run'),
        ),
      );
    }
    let changed: boolean;
    try {
      changed = await timings.time('finish', () => this.persist('recording the end', () => ctx.executions.finish(this.id, recorded, ctx.config.WORKER_ID), Number.POSITIVE_INFINITY));
    } catch (error) {
      this.logger.error({ err: error, state: recorded.state }, 'cannot record the end: the container and the log file are kept for the next start');
      this.close();
      throw error;
    }
    // The end is recorded: the live log's end entry and the container's removal, at once.
    const removing = this.containerId ? timings.time('remove', () => this.removeContainer()) : Promise.resolve();
    if (changed) {
      await timings.time('log_end', () =>
        this.persist('ending the live log', () => ctx.logStream.end(this.id, recorded.state), 60_000).catch((error: unknown) =>
          this.logger.error({ err: error }, 'cannot end the live log'),
        ),
      );
      this.logger.info({ state: recorded.state, exit_code: recorded.exitCode, error: recorded.error }, 'execution ended');
    } else {
      this.logger.warn({ state: recorded.state }, 'the execution had already ended; its end is left as it was');
    }
    await removing;
    await unlink(log.filePath).catch(() => undefined);
    this.close();
    this.#reportTimings();
    return changed;
  }

  /** Logs the execution's phase durations (debug) and hands them to WorkerSettings.onTimings. */
  #reportTimings(): void {
    const phases = this.timings.snapshot();
    this.logger.debug({ phases_ms: phases }, 'execution timings');
    try {
      this.ctx.settings.onTimings?.(this.id, phases);
    } catch (error) {
      this.logger.warn({ err: error }, 'the timings callback failed');
    }
  }

  /**
   * Removes the job container, then its configuration file and its execution folder (a failure is
   * logged: the container is labelled, an operator can find it; its file and folder stay until the
   * worker's next start prunes them).
   */
  async removeContainer(): Promise<void> {
    const container = this.containerId;
    if (!container) return;
    try {
      await this.ctx.containers.remove(container);
    } catch (error) {
      this.logger.warn({ err: error, container }, 'cannot remove the job container');
      this.containerId = undefined;
      return;
    }
    this.containerId = undefined;
    await this.ctx.configurations?.remove(this.id).catch((error: unknown) => this.logger.warn({ err: error }, 'cannot remove the configuration file'));
    await this.ctx.plzFolders?.remove(this.id).catch((error: unknown) => this.logger.warn({ err: error }, 'cannot remove the execution folder'));
  }

  /**
   * Leaves the execution without ending it (the worker shuts down and the job keeps running, or it
   * goes back to the queue): sends the log's pending lines, closes its file (kept for the next
   * start) and unsubscribes.
   */
  async detach(): Promise<void> {
    await this.log.detach();
    this.close();
  }

  /** Drops the stop subscription. */
  close(): void {
    this.#unsubscribe();
  }
}
