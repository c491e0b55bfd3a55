import { performance } from 'node:perf_hooks';
import { JobPayload, JobSpec } from '@plz/contracts';
import { errorEnd, stoppedEnd, type ExecutionEnd, type ExecutionRow } from '@plz/lifecycle';
import { isTransient, PermanentJobError, TransientJobError } from '../../errors.js';
import type { WorkerContext } from '../context.js';
import { describeLimits, resolveLimits } from '../container/limits.js';
import { InputMissingError, prepareContainer } from '../container/prepare.js';
import { ensureImage } from '../image/ensureImage.js';
import { followAndHarvest } from './attach.js';
import { ensureRun, logParams } from './mlflowRun.js';
import { persist } from './persist.js';
import { ExecutionSession } from './session.js';

/** A BullMQ job as the processor sees it. */
export interface ExecutionJob {
  id: string | undefined;
  data: unknown;
  signal?: AbortSignal | undefined;
  /** Attempts made before this one, and the most allowed (BullMQ `attemptsMade`, `opts.attempts`). */
  attemptsMade?: number | undefined;
  attempts?: number | undefined;
}

/**
 * When each worker (its context) last finished with a BullMQ job (performance.now(), ms): the next
 * claim's `between` phase is measured from it.
 */
const freedAt = new WeakMap<WorkerContext, number>();

const issues = (error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }) =>
  error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');

/**
 * Processes one BullMQ job of the worker's queue. A job wakes the worker: it says that the queue has
 * work (its data, contracts JobPayload, names the execution whose submission added it, for the
 * log) but not which execution runs. The worker takes the one the dispatcher chooses (fair share
 * across users, priorities, the per-user cap: @plz/lifecycle Dispatcher), validates the claimed
 * row (contracts JobSpec) and runs it (`execute`). A row that does not fit ends in `error`.
 *
 * @throws PermanentJobError for an invalid payload (the job is dropped; no execution depends on
 *   it); the dependency's error when PostgreSQL failed before anything was claimed: BullMQ tries
 *   the job again later.
 */
export async function processJob(ctx: WorkerContext, job: ExecutionJob): Promise<void> {
  const parsed = JobPayload.safeParse(job.data);
  if (!parsed.success) throw new PermanentJobError(`invalid job payload: ${issues(parsed.error)}`);
  const claimStarted = performance.now();
  const between = freedAt.get(ctx);
  try {
    await claimAndExecute(ctx, job, parsed.data.execution_id, claimStarted, between === undefined ? undefined : claimStarted - between);
  } finally {
    freedAt.set(ctx, performance.now());
  }
}

/** processJob after the payload's check: the claim, and the claimed execution's run. */
async function claimAndExecute(ctx: WorkerContext, job: ExecutionJob, submitted: string, claimStarted: number, betweenMs: number | undefined): Promise<void> {
  const claimed = await ctx.dispatcher.claimNext(ctx.config.gpus.queue, ctx.config.WORKER_ID, ctx.config.gpus.deviceIds);
  if (!claimed) {
    ctx.logger.debug({ job_id: job.id, submitted }, 'nothing to take now (taken by another worker, in backoff, or its user at the cap)');
    await wakeAfterBackoff(ctx, submitted);
    return;
  }
  const id = claimed.id;
  ctx.logger.info({ execution_id: id, user: claimed.user, attempt: claimed.attempts, job_id: job.id }, 'took the execution');
  const spec = JobSpec.safeParse({ ...claimed, execution_id: claimed.id });
  if (!spec.success) {
    await endUnrun(ctx, id, `the execution's record cannot be run: ${issues(spec.error)}`);
    return;
  }
  const lastAttempt = claimed.attempts >= ctx.settings.claimAttempts;
  ctx.busy.add(id);
  ctx.busyChanged();
  let ended = false;
  const done = async () => {
    if (ended) return;
    ended = true;
    ctx.busy.delete(id);
    ctx.busyChanged();
    await wakeForCappedUser(ctx, claimed);
  };
  let handedOn = false;
  try {
    handedOn = await execute(ctx, spec.data, claimed, job.signal, lastAttempt, { claimStarted, betweenMs }, done);
  } finally {
    if (!handedOn) await done();
  }
}

/**
 * When the queue's only waiting executions are in backoff, a job wakes a worker when the first
 * backoff ends (50 ms after, for the clocks of Redis's clients and PostgreSQL). Never throws.
 */
async function wakeAfterBackoff(ctx: WorkerContext, executionId: string): Promise<void> {
  if (ctx.detach.aborted) return;
  try {
    const ms = await ctx.dispatcher.nextBackoffEndMs(ctx.config.gpus.queue);
    if (ms !== null) await ctx.wake(executionId, ms + 50);
  } catch (error) {
    ctx.logger.warn({ err: error }, 'could not read the end of the backoffs: the reconciler will wake a worker');
  }
}

/**
 * Under MAX_RUNNING_PER_USER, the jobs that woke workers while this user was at the cap found
 * nothing to take and ended: now that one of the user's executions has ended, a job wakes a worker
 * for the next one (when the user has one waiting). Never throws.
 */
async function wakeForCappedUser(ctx: WorkerContext, row: ExecutionRow): Promise<void> {
  if (ctx.config.fairShare.max_running_per_user === null || ctx.detach.aborted) return;
  try {
    if (await ctx.dispatcher.hasWaiting(row.queue, row.user_id)) await ctx.wake(row.id, 0);
  } catch (error) {
    ctx.logger.warn({ err: error, execution_id: row.id }, 'could not check for waiting executions of a capped user: the reconciler will wake a worker');
  }
}

/** Ends an execution that never ran in `error` with `reason`, and its live log. */
async function endUnrun(ctx: WorkerContext, id: string, reason: string): Promise<void> {
  if (await ctx.executions.finish(id, errorEnd(reason))) await ctx.logStream.end(id, 'error');
}

/**
 * Runs a claimed execution in its session: the MLflow run created while the job image is found (or
 * built; its parameters logged in the background, awaited by the end) and the container created with the configuration and input copied in, then started
 * (`running`) and followed to its exit; its harvest and recorded end go on in the background
 * (ctx.finalizations) while the worker takes its next execution, and `done` is called after them.
 * Every end (a stop request, a refused limit, a failed build, a missing input, Docker
 * refusing the container, an unexpected failure) goes through the session's one end path. A
 * transient failure (PostgreSQL, MinIO, MLflow or Redis unavailable) before the job started puts
 * the execution back in the queue for another attempt, unless this was the job's last attempt.
 */
async function execute(
  ctx: WorkerContext,
  spec: JobSpec,
  row: ExecutionRow,
  jobSignal: AbortSignal | undefined,
  lastAttempt: boolean,
  timed: { claimStarted: number; betweenMs: number | undefined },
  done: () => Promise<void>,
): Promise<boolean> {
  const { claimStarted } = timed;
  const opened = performance.now();
  const session = await ExecutionSession.open(ctx, spec.execution_id, { startedAt: claimStarted });
  const { timings } = session;
  if (timed.betweenMs !== undefined) timings.add('between', timed.betweenMs);
  timings.add('claim', opened - claimStarted);
  // the session's opening (log file, stop subscription) counts in `open`
  const openDone = () => timings.add('open', performance.now() - opened);
  session.relay(jobSignal);
  const { log } = session;
  const gpus = ctx.config.gpus.deviceIds;
  log.system(`worker ${ctx.config.WORKER_ID} took the execution${gpus.length ? ` on GPU ${gpus.join(',')}` : ''}`);
  let started = false;
  let handedOn = false;
  // The MLflow run, once asked for: recorded on the session before any end, so that the end closes it.
  let running: Promise<PromiseSettledResult<Awaited<ReturnType<typeof ensureRun>>>> | undefined;
  const awaitRun = async () => {
    if (!running) return;
    const result = await running;
    running = undefined;
    if (result.status === 'rejected') throw result.reason;
    session.run = result.value;
  };
  /** Ends the execution before its job ran (the MLflow run, if asked for, ended too). */
  const endEarly = async (what: ExecutionEnd): Promise<false> => {
    await awaitRun().catch((error: unknown) => session.logger.warn({ err: error }, 'the MLflow run could not be created'));
    await session.end(what);
    return false;
  };
  try {
    if (await session.stopRequested()) return endEarly(stoppedEnd());
    // Refused before anything is built or recorded in MLflow: the request is over a maximum.
    const resolved = resolveLimits(spec, ctx.limits);
    if (!resolved.ok) return endEarly(errorEnd(resolved.reason));
    const limits = resolved.limits;
    log.system(describeLimits(limits));
    openDone();
    // The MLflow run does not depend on the image nor the container: it is created meanwhile (a
    // cached image and the container then cost nothing while MLflow answers). A build ends early on
    // a stop request or a shutdown.
    const prepared = timings.since('prepare');
    running = settle(
      timings.time('mlflow_run', async () => {
        const run = await ensureRun(ctx, spec, row);
        // the params in the background: the end waits for them, the job's start does not
        session.defer('the parameters could not be logged in MLflow', session.persist('logging the parameters in MLflow', () => logParams(ctx, run.runId, spec.parameters)));
        return run;
      }),
    );
    const building = AbortSignal.any([session.stop.signal, ctx.detach]);
    const image = await timings.time('image', () =>
      ensureImage(
        {
          images: ctx.images,
          objects: ctx.objects,
          caCertificatesDir: ctx.config.EXTRA_CA_CERTIFICATES_DIR,
          extraLabels: ctx.settings.extraLabels,
          cache: ctx.imageCache,
          snapshots: ctx.inputCache,
          // the build counts as part of the job: its memory and CPUs, on the jobs network
          buildLimits: { memoryBytes: limits.memoryBytes, cpus: limits.cpus, network: ctx.config.JOBS_NETWORK, timeoutSeconds: ctx.config.JOB_BUILD_TIMEOUT_SECONDS },
        },
        spec.snapshot,
        log,
        building,
      ),
    );
    if (ctx.detach.aborted) throw new TransientJobError('the worker shuts down while preparing the execution');
    if (await session.stopRequested()) return endEarly(stoppedEnd());
    if (!image.ok) return endEarly(errorEnd(image.reason));
    try {
      session.containerId = `plz-job-${spec.execution_id}`;
      session.containerId = await timings.time('container', () =>
        prepareContainer({ containers: ctx.containers, objects: ctx.objects, inputCache: ctx.inputCache, configurations: ctx.configurations, plzFolders: ctx.plzFolders, onInput: (message) => log.system(message) }, spec, {
          executionId: spec.execution_id,
          workerId: ctx.config.WORKER_ID,
          snapshot: spec.snapshot,
          image: image.tag,
          deviceIds: gpus,
          resources: spec.resources,
          limits,
          network: ctx.config.JOBS_NETWORK,
          datasetsSource: ctx.config.DATASETS_SOURCE,
          stopGraceSeconds: ctx.settings.stopGraceSeconds,
          extraLabels: ctx.settings.extraLabels,
        }),
      );
    } catch (error) {
      if (error instanceof InputMissingError) return endEarly(errorEnd(error.message));
      if (isTransient(error)) throw error;
      return endEarly(errorEnd(`cannot create the job container: ${(error as Error).message}`));
    }
    await awaitRun();
    prepared();
    if (await session.stopRequested()) return endEarly(stoppedEnd());
    // The start's time is when the start was asked for: Docker's own (`State.StartedAt`) falls
    // between the request and its answer, and reading it back is one more Docker request before the
    // job is `running`. The maximum run time counts from the earlier of the two.
    const startedAt = new Date();
    try {
      const containerId = session.containerId;
      await timings.time('start', () => ctx.containers.start(containerId));
    } catch (error) {
      return endEarly(errorEnd(`cannot start the job container: ${(error as Error).message}`));
    }
    started = true;
    const markedRunning = timings.since('mark_running');
    if (!(await session.persist('recording the start', () => ctx.executions.markRunning(spec.execution_id, ctx.config.WORKER_ID, startedAt), Number.POSITIVE_INFINITY))) {
      session.logger.warn('the execution left `preparing` while its container started: stopping it');
      await ctx.containers.stop(session.containerId, ctx.settings.stopGraceSeconds);
      await session.removeContainer();
      await session.detach();
      return false;
    }
    markedRunning();
    log.system('the job container started');
    await followAndHarvest(session, {
      startedAtMs: startedAt.getTime(),
      maxRunSeconds: limits.maxRunSeconds,
      withoutInput: spec.input === null,
      // The container has exited: its harvest and end go on while the worker takes the next execution.
      finalize: (harvest) => {
        handedOn = true;
        // waits while the worker's previous finalization still holds its place
        const handing = timings.time('hand_on', () => ctx.finalizations.start(async () => {
          try {
            await harvest();
          } catch (error) {
            // Cut short by a shutdown: the exited container stays, the next start harvests it.
            if (ctx.detach.aborted) {
              session.logger.warn({ err: error }, 'the worker shuts down during the harvest: the next start finishes it');
              await session.detach().catch(() => undefined);
            } else await failed(session, error);
          } finally {
            session.close();
            await done();
          }
        }));
        return handing.then(() => timings.add('foreground', performance.now() - claimStarted));
      },
    });
    return handedOn;
  } catch (error) {
    if (handedOn) {
      session.logger.error({ err: error }, 'following the execution failed after its harvest was handed on');
      return true;
    }
    if (!started && ((isTransient(error) && !lastAttempt) || ctx.detach.aborted)) {
      // Nothing of the job ran: back to the queue (its place kept) after a backoff, unless the worker shuts down.
      const backoffMs = ctx.detach.aborted ? 0 : ctx.settings.retryBackoffMs * 2 ** Math.max(0, row.attempts - 1);
      log.system(`preparing stopped (${(error as Error).message}): the execution goes back to the queue`);
      await running?.catch(() => undefined);
      await session.removeContainer();
      await session.detach();
      // Tried even when the worker shuts down meanwhile (the container's removal takes a while, and
      // a shutdown is one reason to put it back): not cut short by ctx.detach.
      const released = await persist('putting the execution back in the queue', () => ctx.executions.release(spec.execution_id, ctx.config.WORKER_ID, backoffMs), session.logger, {
        maxMs: 60_000,
      }).catch(() => false);
      if (released) await ctx.wake(spec.execution_id, backoffMs);
      return false;
    }
    await awaitRun().catch(() => undefined);
    await failed(session, error);
    return false;
  } finally {
    if (!handedOn) session.close();
  }
}

/** Records an unexpected failure of the worker as the execution's end (`error`); never throws. */
async function failed(session: ExecutionSession, error: unknown): Promise<void> {
  session.logger.error({ err: error }, 'the execution failed in the worker');
  await session.end(errorEnd(`worker failure: ${(error as Error).message}`)).catch((cause: unknown) => session.logger.error({ err: cause }, 'cannot record the failure'));
}

/** `promise`'s outcome, never rejecting (so that it may wait unobserved). */
const settle = <T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> =>
  promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
