import { formatByteSize, type Resources } from '@plz/contracts';
import type { Config } from '../../config.js';

/** The limits every job container gets (ARCHITECTURE.md §6), resolved from its request and the worker's settings. */
export interface JobLimits {
  /** Docker `Memory` and `MemorySwap` (no swap), bytes. */
  memoryBytes: number;
  /** CPUs (may be fractional): Docker `NanoCpus` = cpus × 1e9. */
  cpus: number;
  /** Docker `ShmSize`, bytes; never more than `memoryBytes`. */
  shmBytes: number;
  /** Docker `PidsLimit`: processes and threads of the container. */
  pidsLimit: number;
  /** Seconds from the container's start before the worker stops it. */
  maxRunSeconds: number;
}

/** The worker's defaults and maxima (config.ts `JOB_*`), as published in its heartbeat. */
export interface LimitSettings {
  memory: { default: number; max: number };
  /** Capped at the host's CPU count: Docker refuses a `NanoCpus` above it ("Range of CPUs is from 0.01 to N"). */
  cpus: { default: number; max: number; hostCpus?: number | undefined };
  shmDefault: number;
  pids: number;
  maxRunSeconds: { default: number; max: number };
}

/**
 * The limit settings of a configuration on a host with `hostCpus` CPUs (GET /info `NCPU`): the
 * CPU default and maximum are capped at it.
 */
export function limitSettings(config: Config, hostCpus?: number): LimitSettings {
  const cap = (cpus: number) => (hostCpus ? Math.min(cpus, hostCpus) : cpus);
  return {
    memory: { default: config.JOB_MEMORY_DEFAULT, max: config.JOB_MEMORY_MAX },
    cpus: { default: cap(config.JOB_CPUS_DEFAULT), max: cap(config.JOB_CPUS_MAX), hostCpus },
    shmDefault: config.JOB_SHM_SIZE_DEFAULT,
    pids: config.JOB_PIDS_LIMIT,
    maxRunSeconds: { default: config.JOB_MAX_RUN_SECONDS_DEFAULT, max: config.JOB_MAX_RUN_SECONDS_MAX },
  };
}

/** `8 GiB`, `64 MiB`, `1.5 GiB` (the contracts' formatByteSize, shared with the REST API's submit check). */
export const formatBytes = formatByteSize;

/** Resolved limits, or why the request is refused (it names the limit and the setting). */
export type LimitsResult = { ok: true; limits: JobLimits } | { ok: false; reason: string };

/**
 * Resolves a job's limits: each of `resources.memory` (bytes), `resources.cpus`,
 * `max_run_seconds` takes the worker's default when the request sets none and must not exceed its
 * maximum; `resources.shm_size` defaults to `JOB_SHM_SIZE_DEFAULT` capped at the memory limit and
 * must not exceed the memory limit (tmpfs pages count against the container's memory cgroup);
 * `PidsLimit` is `JOB_PIDS_LIMIT` for every job. Pure.
 *
 * @returns `{ ok: false, reason }` naming the first limit exceeded, e.g. "asks for 128 GiB of
 *   memory, more than this worker allows (JOB_MEMORY_MAX = 64 GiB)".
 */
export function resolveLimits(request: { resources: Resources; max_run_seconds?: number | null | undefined }, settings: LimitSettings): LimitsResult {
  const { resources } = request;
  const memoryBytes = resources.memory ?? settings.memory.default;
  if (memoryBytes > settings.memory.max) {
    return { ok: false, reason: `the execution asks for ${formatBytes(memoryBytes)} of memory, more than this worker allows (JOB_MEMORY_MAX = ${formatBytes(settings.memory.max)})` };
  }
  const cpus = resources.cpus ?? settings.cpus.default;
  if (cpus > settings.cpus.max) {
    const why = settings.cpus.hostCpus === settings.cpus.max ? `its host has ${settings.cpus.max} CPUs` : `JOB_CPUS_MAX = ${settings.cpus.max}`;
    return { ok: false, reason: `the execution asks for ${cpus} CPUs, more than this worker allows (${why})` };
  }
  const maxRunSeconds = request.max_run_seconds ?? settings.maxRunSeconds.default;
  if (maxRunSeconds > settings.maxRunSeconds.max) {
    return { ok: false, reason: `the execution asks for a maximum run time of ${maxRunSeconds} s, more than this worker allows (JOB_MAX_RUN_SECONDS_MAX = ${settings.maxRunSeconds.max} s)` };
  }
  if (resources.shm_size !== undefined && resources.shm_size > memoryBytes) {
    return { ok: false, reason: `the execution asks for ${formatBytes(resources.shm_size)} of /dev/shm, more than its memory limit of ${formatBytes(memoryBytes)} (shared memory counts against it)` };
  }
  const shmBytes = resources.shm_size ?? Math.min(settings.shmDefault, memoryBytes);
  return { ok: true, limits: { memoryBytes, cpus, shmBytes, pidsLimit: settings.pids, maxRunSeconds } };
}

/** One log line describing the limits. */
export const describeLimits = (limits: JobLimits): string =>
  `limits: memory ${formatBytes(limits.memoryBytes)} (no swap), ${limits.cpus} CPUs, /dev/shm ${formatBytes(limits.shmBytes)}, ${limits.pidsLimit} processes, run time ${limits.maxRunSeconds} s`;
