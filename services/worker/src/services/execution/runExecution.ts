import { isTerminal, JobPayload } from '@plz/contracts';
import { isAlive } from '../../adapters/redis/heartbeat.js';
import { PermanentJobError } from '../../errors.js';
import type { ExecutionRow } from '../../repositories/executions.js';
import type { WorkerContext } from '../context.js';
import { describeLimits, resolveLimits } from '../container/limits.js';
import { InputMissingError, prepareContainer } from '../container/prepare.js';
import { ensureImage } from '../image/ensureImage.js';
import { ExecutionLog } from '../run/executionLog.js';
import { followAndHarvest } from './attach.js';
import { errorEnd, finishExecution } from './finish.js';
import { ensureRun } from './mlflowRun.js';

/** A BullMQ job as the processor sees it. */
export interface ExecutionJob {
  id: string | undefined;
  data: unknown;
  signal?: AbortSignal | undefined;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The execution id of a job whose payload is invalid, when one can be read (payload, else job id). */
function readableId(job: ExecutionJob): string | undefined {
  const fromData = (job.data as { execution_id?: unknown } | null)?.execution_id;
  if (typeof fromData === 'string' && uuid.test(fromData)) return fromData;
  return job.id && uuid.test(job.id) ? job.id : undefined;
}

/**
 * Processes one BullMQ job (an execution): validates the payload (invalid: the execution ends in
 * `error` when its id is readable, and the job fails for good), skips executions that ended or that
 * another live worker holds, claims it, and runs it (see `execute`).
 *
 * @throws PermanentJobError for an invalid payload or a job without an execution row.
 */
export async function processJob(ctx: WorkerContext, job: ExecutionJob): Promise<void> {
  const parsed = JobPayload.safeParse(job.data);
  if (!parsed.success) {
    const message = `invalid job payload: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`;
    const id = readableId(job);
    if (id && (await ctx.executions.get(id))) await finishExecution(ctx, id, errorEnd(message), undefined, undefined);
    throw new PermanentJobError(message);
  }
  const payload = parsed.data;
  const id = payload.execution_id;
  const logger = ctx.logger.child({ execution_id: id });
  const row = await ctx.executions.get(id);
  if (!row) throw new PermanentJobError(`execution ${id} does not exist`);
  if (isTerminal(row.state)) {
    logger.info({ state: row.state }, 'the execution has ended already: nothing to do');
    return;
  }
  if (row.state !== 'queued' && row.state !== 'preparing') {
    logger.info({ state: row.state, worker: row.worker_id }, 'the execution is running under a worker that will re-attach to it: nothing to do');
    return;
  }
  let takeOverFrom: string | undefined;
  if (row.state === 'preparing' && row.worker_id && row.worker_id !== ctx.config.WORKER_ID) {
    if (await isAlive(ctx.redis, row.worker_id)) {
      logger.info({ worker: row.worker_id }, 'another live worker prepares the execution: nothing to do');
      return;
    }
    takeOverFrom = row.worker_id;
  }
  if (!(await ctx.executions.claim(id, ctx.config.WORKER_ID, ctx.config.gpus.deviceIds, takeOverFrom))) {
    logger.info('the execution was taken or ended meanwhile: nothing to do');
    return;
  }
  ctx.busy.add(id);
  ctx.busyChanged();
  try {
    await execute(ctx, payload, row, job.signal);
  } finally {
    ctx.busy.delete(id);
    ctx.busyChanged();
  }
}

/**
 * Runs a claimed execution: MLflow run and job image (cached or built) at once, container created with the
 * configuration and input copied in, started (`running`), followed and harvested. Each early end
 * (stop requested, build failed, input missing, Docker refusing the container) is recorded with
 * finishExecution; unexpected failures end the execution in `error` with the reason.
 */
async function execute(ctx: WorkerContext, payload: JobPayload, row: ExecutionRow, jobSignal: AbortSignal | undefined): Promise<void> {
  const id = payload.execution_id;
  const logger = ctx.logger.child({ execution_id: id });
  const log = await ExecutionLog.open(ctx.settings.logDirectory, id, ctx.logStream, logger, { maxBytes: ctx.config.JOB_LOG_MAX_BYTES });
  const gpus = ctx.config.gpus.deviceIds;
  log.system(`worker ${ctx.config.WORKER_ID} took the execution${gpus.length ? ` on GPU ${gpus.join(',')}` : ''}`);
  const stop = new AbortController();
  const unsubscribe = ctx.stopSignals.onStop(id, () => stop.abort());
  const onJobAbort = () => stop.abort();
  jobSignal?.addEventListener('abort', onJobAbort, { once: true });
  const stopped = async () => stop.signal.aborted || Boolean(jobSignal?.aborted) || (await ctx.stopSignals.requested(id));
  const stoppedEnd = { state: 'stopped' as const, exitCode: null, error: null, measures: null, summary: null };
  let run;
  let containerId: string | undefined;
  try {
    if (await stopped()) {
      await finishExecution(ctx, id, stoppedEnd, log, undefined);
      return;
    }
    // Refused before anything is built or recorded in MLflow: the request is over a maximum.
    const resolved = resolveLimits(payload, ctx.limits);
    if (!resolved.ok) {
      await finishExecution(ctx, id, errorEnd(resolved.reason), log, undefined);
      return;
    }
    const limits = resolved.limits;
    log.system(describeLimits(limits));
    // The MLflow run and the image do not depend on each other: both at once (a cached image then
    // costs nothing while MLflow answers). A build ends early on a stop request or a shutdown.
    const building = new AbortController();
    const cancelBuild = () => building.abort();
    stop.signal.addEventListener('abort', cancelBuild, { once: true });
    ctx.detach.addEventListener('abort', cancelBuild, { once: true });
    if (stop.signal.aborted || ctx.detach.aborted) building.abort();
    const [runResult, imageResult] = await Promise.allSettled([
      ensureRun(ctx, payload, row),
      ensureImage(
        {
          images: ctx.images,
          objects: ctx.objects,
          caCertificatesDir: ctx.config.EXTRA_CA_CERTIFICATES_DIR,
          extraLabels: ctx.settings.extraLabels,
          cache: ctx.imageCache,
          // the build counts as part of the job: its memory and CPUs, on the jobs network
          buildLimits: { memoryBytes: limits.memoryBytes, cpus: limits.cpus, network: ctx.config.JOBS_NETWORK, timeoutSeconds: ctx.config.JOB_BUILD_TIMEOUT_SECONDS },
        },
        payload.snapshot,
        log,
        building.signal,
      ),
    ]);
    stop.signal.removeEventListener('abort', cancelBuild);
    ctx.detach.removeEventListener('abort', cancelBuild);
    if (runResult.status === 'rejected') throw runResult.reason;
    run = runResult.value;
    if (imageResult.status === 'rejected') throw imageResult.reason;
    const image = imageResult.value;
    if (ctx.detach.aborted) {
      await finishExecution(ctx, id, errorEnd('the worker shut down while preparing the execution'), log, run);
      return;
    }
    if (await stopped()) {
      await finishExecution(ctx, id, stoppedEnd, log, run);
      return;
    }
    if (!image.ok) {
      await finishExecution(ctx, id, errorEnd(image.reason), log, run);
      return;
    }
    try {
      containerId = await prepareContainer({ containers: ctx.containers, objects: ctx.objects }, payload, {
        executionId: id,
        workerId: ctx.config.WORKER_ID,
        snapshot: payload.snapshot,
        image: image.tag,
        deviceIds: gpus,
        resources: payload.resources,
        limits,
        network: ctx.config.JOBS_NETWORK,
        datasetsSource: ctx.config.DATASETS_SOURCE,
        stopGraceSeconds: ctx.settings.stopGraceSeconds,
        extraLabels: ctx.settings.extraLabels,
      });
    } catch (error) {
      const reason = error instanceof InputMissingError ? error.message : `cannot create the job container: ${(error as Error).message}`;
      await finishExecution(ctx, id, errorEnd(reason), log, run);
      await removeQuietly(ctx, `plz-job-${id}`);
      return;
    }
    if (await stopped()) {
      await finishExecution(ctx, id, stoppedEnd, log, run);
      await removeQuietly(ctx, containerId);
      return;
    }
    try {
      await ctx.containers.start(containerId);
    } catch (error) {
      await finishExecution(ctx, id, errorEnd(`cannot start the job container: ${(error as Error).message}`), log, run);
      await removeQuietly(ctx, containerId);
      return;
    }
    const state = await ctx.containers.inspect(containerId);
    const startedAt = state && !state.startedAt.startsWith('0001') ? new Date(state.startedAt) : new Date();
    if (!(await ctx.executions.markRunning(id, startedAt))) {
      logger.warn('the execution left `preparing` while its container started: stopping it');
      await ctx.containers.stop(containerId, ctx.settings.stopGraceSeconds);
      await removeQuietly(ctx, containerId);
      await log.detach();
      return;
    }
    log.system('the job container started');
    unsubscribe();
    jobSignal?.removeEventListener('abort', onJobAbort);
    await followAndHarvest(ctx, { executionId: id, containerId, run, log, startedAtMs: startedAt.getTime(), maxRunSeconds: limits.maxRunSeconds, jobSignal: stop.signal.aborted ? AbortSignal.abort() : jobSignal });
  } catch (error) {
    logger.error({ err: error }, 'the execution failed in the worker');
    await finishExecution(ctx, id, errorEnd(`worker failure: ${(error as Error).message}`), log, run).catch((cause: unknown) => logger.error({ err: cause }, 'cannot record the failure'));
    if (containerId) await removeQuietly(ctx, containerId);
  } finally {
    unsubscribe();
    jobSignal?.removeEventListener('abort', onJobAbort);
  }
}

async function removeQuietly(ctx: WorkerContext, container: string): Promise<void> {
  await ctx.containers.remove(container).catch((error: unknown) => ctx.logger.warn({ err: error, container }, 'cannot remove a job container'));
}
