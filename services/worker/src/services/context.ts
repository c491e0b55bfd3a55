import type { ConfigurationFiles } from './container/configurationFiles.js';
import type { PlzFolders } from './container/plzFolders.js';
import type { Redis } from 'ioredis';
import type { DockerContainers } from '../adapters/docker/containers.js';
import type { DockerImages } from '../adapters/docker/images.js';
import type { MlflowTracking } from '../adapters/mlflow.js';
import type { Dispatcher, ExecutionStore, LogStream, StopSignals } from '@plz/lifecycle';
import type { ObjectStore } from '../adapters/s3/objects.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { WorkerSettings } from '../settings.js';
import type { LimitSettings } from './container/limits.js';
import type { Finalizations } from './execution/finalizations.js';
import type { ImageCache } from './image/cache.js';
import type { InputCache } from './inputs/cache.js';

/** Everything the use cases need, built once by app.ts. */
export interface WorkerContext {
  config: Config;
  settings: WorkerSettings;
  /** Job limits: the JOB_* settings with the CPUs capped at the Docker host's count (set at start). */
  limits: LimitSettings;
  logger: Logger;
  /** Execution state (the lifecycle package: every change a checked transition). */
  executions: ExecutionStore;
  /** Chooses the next execution of the worker's queue (fair share, priorities, the per-user cap). */
  dispatcher: Dispatcher;
  /**
   * Adds a wake-up job to the worker's queue, after `delayMs`, naming `executionId` (put back in the
   * queue): some worker then takes the next execution. Never throws (the reconciler makes up for a
   * lost one).
   */
  wake(executionId: string, delayMs: number): Promise<void>;
  containers: DockerContainers;
  images: DockerImages;
  /** Job image uses and pruning (set at start, once the Docker engine's id is known). */
  imageCache?: ImageCache | undefined;
  /** Extracted inputs kept on the worker's disk and mounted read-only (set at start; undefined: inputs are copied into each container). */
  inputCache?: InputCache | undefined;
  /** Configuration files bind-mounted into job containers (set at start with the input cache, in its folder; undefined: copied in). */
  configurations?: ConfigurationFiles | undefined;
  /** Each execution's output, measures and summary folders, bind-mounted and read by the harvest (set at start with the configuration files; undefined: written into the container, read through Docker). */
  plzFolders?: PlzFolders | undefined;
  objects: ObjectStore;
  tracking: MlflowTracking;
  logStream: LogStream;
  stopSignals: StopSignals;
  /** Command connection (heartbeats of other workers, locks). */
  redis: Redis;
  /** Aborted when the worker shuts down: running jobs are left running and re-attached at the next start. */
  detach: AbortSignal;
  /** Executions this worker is working on now (for its heartbeat). */
  busy: Set<string>;
  /** Call after changing `busy`: the heartbeat is written at once. */
  busyChanged(): void;
  /** Finalizations of exited executions going on while the next one runs. */
  finalizations: Finalizations;
}
