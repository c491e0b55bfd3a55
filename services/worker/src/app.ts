import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkDatasetsSource, checkDocker, dockerClient, dockerCpuCount, dockerEngineId, dockerHostName, hostPathOf } from './adapters/docker/client.js';
import { DockerContainers } from './adapters/docker/containers.js';
import { ensureJobsNetwork, isolateJobsFromHost, ownImage } from './adapters/docker/jobsNetwork.js';
import { DockerImages } from './adapters/docker/images.js';
import { createConsumer } from './adapters/queue/consumer.js';
import { MlflowTracking } from './adapters/mlflow.js';
import { redisConnection } from './adapters/redis/connection.js';
import { DeviceLocks } from './adapters/redis/deviceLocks.js';
import { ImageUses } from './adapters/redis/imageUses.js';
import { Dispatcher, ExecutionStore, LogStream, removeHeartbeat, StopSignals } from '@plz/lifecycle';
import { createWaker } from './adapters/queue/producer.js';
import { ObjectStore } from './adapters/s3/objects.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { openDatabase } from './repositories/database.js';
import type { WorkerContext } from './services/context.js';
import { limitSettings } from './services/container/limits.js';
import { ConfigurationFiles } from './services/container/configurationFiles.js';
import { PlzFolders } from './services/container/plzFolders.js';
import { ImageCache } from './services/image/cache.js';
import { Finalizations } from './services/execution/finalizations.js';
import { InputCache } from './services/inputs/cache.js';
import { buckets, inputObjectKey, snapshotObjectKey } from '@plz/contracts';
import { processJob } from './services/execution/runExecution.js';
import { recover } from './services/execution/recover.js';
import { startHeartbeat } from './services/heartbeat.js';
import { readGpuDetails } from './adapters/nvidia.js';
import { defaultSettings, type WorkerSettings } from './settings.js';

/** A started worker. */
export interface RunningWorker {
  /**
   * Graceful shutdown (SIGTERM): stops taking jobs, leaves a running job's container running
   * (re-attached at the next start), waits for BullMQ to close and for the finalizations under way,
   * releases the GPU locks and removes the heartbeat.
   */
  close(): Promise<void>;
  /** Settles when the executions re-attached at start have ended (tests wait on it). */
  recovered: Promise<void>;
}

/**
 * Wires the worker and starts it: makes sure the jobs network exists with containers kept apart and
 * closes the host to it (when the worker runs in a container: its image has iptables), checks its
 * GPU locks (refusing to start when another worker holds one of its GPUs on this Docker host), recovers the job containers it left, then consumes
 * its queue (from `gpuAssignment(NVIDIA_VISIBLE_DEVICES)`) with concurrency 1, with heartbeats
 * every 5 s.
 *
 * @throws Error when a GPU is held by another worker, the jobs network cannot be made safe, or
 *   Docker, Redis or PostgreSQL cannot be reached.
 */
export async function startWorker(config: Config, logger: Logger, overrides: Partial<WorkerSettings> = {}): Promise<RunningWorker> {
  const settings: WorkerSettings = { ...defaultSettings, logDirectory: path.join(tmpdir(), 'plz-worker-logs'), ...overrides };
  const onRedisError = (error: Error) => logger.warn({ err: error }, 'Redis connection error');
  const tls = config.controllerCa === undefined ? {} : { ca: config.controllerCa };
  const redis = redisConnection(config.REDIS_URL, 'commands', { onError: onRedisError, ...tls });
  const subscriber = redisConnection(config.REDIS_URL, 'stop-signals', { subscriber: true, onError: onRedisError, ...tls });
  const bullmq = redisConnection(config.REDIS_URL, 'bullmq', { forBullmq: true, onError: onRedisError, ...tls });
  const db = openDatabase(config.DATABASE_URL, config.controllerCa);
  const docker = dockerClient(config.DOCKER_HOST);
  const objects = new ObjectStore({ endpoint: config.S3_ENDPOINT, accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY, region: config.S3_REGION }, tls);
  const detach = new AbortController();
  const stopSignals = new StopSignals(redis, subscriber);
  const waker = createWaker(bullmq, config.gpus.queue);
  const ctx: WorkerContext = {
    config,
    settings,
    limits: limitSettings(config),
    logger,
    executions: new ExecutionStore(db),
    dispatcher: new Dispatcher(db, config.fairShare),
    wake: async (executionId, delayMs) => {
      await waker
        .wake(executionId, delayMs)
        .catch((error: unknown) => logger.warn({ err: error, execution_id: executionId }, 'could not add a job to wake a worker: the REST API\'s reconciler will'));
    },
    containers: new DockerContainers(docker),
    images: new DockerImages(docker),
    objects,
    tracking: new MlflowTracking(config.MLFLOW_URL, {
      logConcurrency: config.MLFLOW_LOG_CONCURRENCY,
      ...(config.MLFLOW_TRACKING_USERNAME && config.MLFLOW_TRACKING_PASSWORD ? { credentials: { username: config.MLFLOW_TRACKING_USERNAME, password: config.MLFLOW_TRACKING_PASSWORD } } : {}),
    }),
    logStream: new LogStream(redis),
    stopSignals,
    redis,
    detach: detach.signal,
    busy: new Set(),
    busyChanged: () => undefined,
    finalizations: new Finalizations(settings.backgroundFinalizations),
  };
  const release = async () => {
    await waker.close().catch(() => undefined);
    redis.disconnect();
    subscriber.disconnect();
    bullmq.disconnect();
    objects.destroy();
    await db.destroy();
  };

  let locks: DeviceLocks | undefined;
  try {
    await checkDocker(docker, config.DOCKER_HOST);
    await checkDatasetsSource(docker, config.DATASETS_SOURCE);
    // Jobs run on their own network, which the worker is not on, closed to the host's addresses.
    const bridge = await ensureJobsNetwork(docker, config.JOBS_NETWORK);
    const image = await ownImage(docker);
    if (image) logger.info({ network: config.JOBS_NETWORK, bridge, isolation: await isolateJobsFromHost(docker, bridge, image) }, 'jobs network ready');
    else logger.warn({ network: config.JOBS_NETWORK }, 'not running in a container: the host is not closed to jobs (the deployment\'s worker image does it)');
    ctx.limits = limitSettings(config, await dockerCpuCount(docker));
    const engineId = await dockerEngineId(docker);
    ctx.imageCache = new ImageCache(
      { images: ctx.images, containers: ctx.containers, uses: new ImageUses(redis, engineId), logger },
      {
        capBytes: Math.round(config.JOB_IMAGE_CACHE_GIB * 1024 ** 3),
        // a use recorded this recently may precede another worker's build or container create
        protectMs: (config.JOB_BUILD_TIMEOUT_SECONDS + 600) * 1000,
        labels: settings.extraLabels,
      },
    );
    ctx.inputCache = await openInputCache(docker, ctx, config, logger);
    if (ctx.inputCache) {
      const folders = { dir: ctx.inputCache.settings.dir, hostDir: ctx.inputCache.settings.hostDir };
      ctx.configurations = new ConfigurationFiles(folders);
      ctx.plzFolders = new PlzFolders(folders);
    }
    if (config.gpus.deviceIds.length > 0) {
      locks = new DeviceLocks(redis, engineId, config.WORKER_ID, config.gpus.deviceIds, 30_000);
      await locks.take();
    }
    await stopSignals.start();
  } catch (error) {
    await release();
    throw error;
  }
  const gpuDetails = await readGpuDetails(config.gpus.deviceIds);
  if (config.gpus.deviceIds.length > 0) logger.info({ gpus: gpuDetails }, gpuDetails.length ? 'GPU models and memory read with nvidia-smi' : 'nvidia-smi gave no model and memory for the GPUs');
  const host = config.WORKER_HOST ?? (await dockerHostName(docker));
  const heartbeat = startHeartbeat(ctx, locks, host, gpuDetails);
  ctx.busyChanged = () => void heartbeat.beat();
  await heartbeat.beat();

  void ctx.imageCache?.prune();
  const attached = await recover(ctx);
  // configuration files and execution folders of containers removed while the worker was away (or by the recovery)
  if (ctx.configurations) {
    const mounted = await ctx.containers.mountSourcesInUse();
    const removed = await ctx.configurations.prune(mounted);
    const folders = (await ctx.plzFolders?.prune(mounted)) ?? 0;
    if (removed + folders > 0) logger.info({ removed, folders }, 'removed configuration files and execution folders that no container mounts');
  }
  const consumer = createConsumer({
    queue: config.gpus.queue,
    connection: bullmq,
    lockDurationMs: settings.lockDurationMs,
    processor: (job) => processJob(ctx, job),
    onError: (error) => logger.error({ err: error }, 'queue error'),
    onFailed: (jobId, error) => logger.warn({ job_id: jobId, err: error }, 'job failed'),
  });
  const recovered = Promise.all(attached).then(() => undefined);
  // Recovery first: a re-attached job still owns the GPUs, so new jobs wait until it has ended.
  let closing = false;
  void recovered.then(() => {
    if (!closing) consumer.run();
  });
  // The backstop of lost wake-ups: an idle worker with an execution it could take wakes itself.
  const idleWake = setInterval(() => {
    if (closing || ctx.busy.size > 0) return;
    void ctx.dispatcher
      .firstClaimable(config.gpus.queue)
      .then(async (id) => {
        if (id && !closing && ctx.busy.size === 0) {
          logger.info({ execution_id: id }, 'an execution waits while no job woke a worker: waking one');
          await ctx.wake(id, 0);
        }
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'could not look for waiting executions'));
  }, settings.idleWakeMs);
  idleWake.unref();
  logger.info({ queue: config.gpus.queue, gpus: config.gpus.deviceIds, reattached: attached.length }, 'worker started');

  return {
    recovered,
    async close() {
      closing = true;
      clearInterval(idleWake);
      detach.abort();
      await consumer.close();
      await ctx.finalizations.settled();
      await Promise.allSettled(attached);
      heartbeat.stop();
      await ctx.imageCache?.settled();
      await ctx.inputCache?.settled();
      await locks?.release().catch(() => undefined);
      await removeHeartbeat(redis, config.WORKER_ID).catch(() => undefined);
      await release();
      logger.info('worker stopped');
    },
  };
}

/**
 * The worker's input cache when INPUT_CACHE_DIR is set and INPUT_CACHE_GIB is above 0, with the
 * folder's host path (hostPathOf: what job containers mount); undefined (each input copied into
 * its container, as without a cache) when the folder is not given, or is not on the host (then
 * a warning says so).
 */
async function openInputCache(docker: Parameters<typeof hostPathOf>[0], ctx: WorkerContext, config: Config, logger: Logger): Promise<InputCache | undefined> {
  const dir = config.INPUT_CACHE_DIR;
  if (!dir || config.INPUT_CACHE_GIB <= 0) return undefined;
  const hostDir = await hostPathOf(docker, dir);
  if (!hostDir) {
    logger.warn({ dir }, 'INPUT_CACHE_DIR is not mounted from the host into the worker\'s container: inputs are copied into each job instead of kept');
    return undefined;
  }
  const cache = new InputCache(
    {
      read: (sha256) => ctx.objects.read(buckets.inputs, inputObjectKey(sha256)),
      readSnapshot: (sha256) => ctx.objects.read(buckets.snapshots, snapshotObjectKey(sha256)),
      mountSourcesInUse: () => ctx.containers.mountSourcesInUse(),
      logger,
    },
    { dir, hostDir, capBytes: Math.round(config.INPUT_CACHE_GIB * 1024 ** 3) },
  );
  await cache.start();
  void cache.prune();
  logger.info({ dir, host_dir: hostDir, cap_gib: config.INPUT_CACHE_GIB }, 'input cache ready');
  return cache;
}
