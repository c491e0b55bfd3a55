import { writeFile } from 'node:fs/promises';
import { heartbeatIntervalMs, type GpuDetails, type HeartbeatLimits } from '@plz/contracts';
import type { DeviceLocks } from '../adapters/redis/deviceLocks.js';
import { writeHeartbeat } from '@plz/lifecycle';
import type { WorkerContext } from './context.js';
import type { LimitSettings } from './container/limits.js';

/** The job limits as heartbeat fields (contracts `heartbeatLimitFields`): bytes, CPUs, processes, seconds. */
export function heartbeatLimits(settings: LimitSettings): HeartbeatLimits {
  return {
    memory_default: settings.memory.default,
    memory_max: settings.memory.max,
    cpus_default: settings.cpus.default,
    cpus_max: settings.cpus.max,
    shm_size_default: settings.shmDefault,
    pids_limit: settings.pids,
    max_run_seconds_default: settings.maxRunSeconds.default,
    max_run_seconds_max: settings.maxRunSeconds.max,
  };
}

/**
 * Every `heartbeatIntervalMs` (5 s): writes the worker's heartbeat hash in Redis (TTL 30 s, with its
 * job limits, CPUs capped at the host's: heartbeatLimits),
 * refreshes its GPU locks, and, when both succeeded, touches the heartbeat file (its age is the
 * container's health: compose restarts nothing by itself, but `up --wait` and operators see it).
 *
 * @param host the host the worker runs on (WORKER_HOST, else the Docker engine's host name), published as `hostname`.
 * @param gpuDetails model and memory of the worker's GPUs, read once at start (adapters/nvidia.ts); empty: none published.
 * @returns `stop()`, which ends the loop.
 */
export function startHeartbeat(ctx: WorkerContext, locks: DeviceLocks | undefined, host: string, gpuDetails: readonly GpuDetails[] = []): { beat(): Promise<void>; stop(): void } {
  const startedAt = new Date().toISOString();
  const limits = heartbeatLimits(ctx.limits);
  const beat = async () => {
    try {
      await writeHeartbeat(ctx.redis, {
        worker_id: ctx.config.WORKER_ID,
        queue: ctx.config.gpus.queue,
        gpus: ctx.config.gpus.deviceIds,
        // the latest taken (the one before may still be finalizing)
        execution_id: [...ctx.busy].at(-1) ?? null,
        hostname: host,
        started_at: startedAt,
        limits,
        gpu_details: gpuDetails,
      });
      await locks?.take();
      await writeFile(ctx.config.HEARTBEAT_FILE, `${new Date().toISOString()}\n`);
    } catch (error) {
      ctx.logger.error({ err: error }, 'heartbeat failed');
    }
  };
  const timer = setInterval(() => void beat(), heartbeatIntervalMs);
  return { beat, stop: () => clearInterval(timer) };
}
