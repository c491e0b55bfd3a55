import { availableParallelism, totalmem } from 'node:os';
import { listHostGpus } from '../host/nvidia.js';

/**
 * The host facts the defaults are derived from: its memory in bytes and its CPU count (the job
 * limits), and the indexes of its NVIDIA GPUs (one GPU worker each by default).
 */
export interface HostFacts {
  memoryBytes: number;
  cpus: number;
  gpus: readonly string[];
}

/** The job-limit answers as the flags write them (sizes such as `12g`, numbers as digits). */
export interface JobLimitAnswers {
  jobMemoryMax: string;
  jobMemoryDefault: string;
  jobCpusMax: number;
  jobCpusDefault: number;
  jobShmSizeDefault: string;
  jobPidsLimit: number;
  jobMaxRunSecondsDefault: number;
  jobMaxRunSecondsMax: number;
  jobImageCacheGib: number;
  /** GiB of extracted inputs each worker keeps (INPUT_CACHE_GIB). */
  inputCacheGib: number;
}

const GiB = 1024 ** 3;

/** Whether an answer is one of the job limits deriveJobLimits fills in. */
export function isJobLimit(name: string): name is keyof JobLimitAnswers {
  return name in deriveJobLimits({ hostMemoryBytes: referenceHost.memoryBytes, hostCpus: referenceHost.cpus, workers: 1 });
}

/**
 * The host the repository root (the default deployment) is rendered for: 16 GiB and 4 CPUs, a
 * modest workstation without a GPU. The golden test passes it (`--host-memory 16g --host-cpus 4
 * --host-gpus none`) so that the committed files do not depend on the machine that renders them.
 */
export const referenceHost: HostFacts = { memoryBytes: 16 * GiB, cpus: 4, gpus: [] };

/**
 * This machine's memory (os.totalmem), CPUs (os.availableParallelism) and GPUs (`nvidia-smi -L`,
 * none without a working driver): the generator runs on the deployment's host.
 */
export function readHostFacts(): HostFacts {
  return { memoryBytes: totalmem(), cpus: availableParallelism(), gpus: listHostGpus() };
}

/**
 * Default job limits of each worker, derived from the host, for a deployment of `workers` workers
 * (GPU and CPU workers together; at least 1 is assumed).
 *
 * Memory: the services keep max(4 GiB, 25% of the host): PostgreSQL (shared buffers and
 * connections, ~1 GiB), MinIO (~1 GiB on a small single node), MLflow (two gunicorn processes,
 * ~0.5 GiB), Redis (queues and live logs, a few hundred MiB), the REST API and each worker
 * (Node.js, ~0.2-0.3 GiB each), NGINX (tens of MiB), plus Docker itself and the page cache that
 * PostgreSQL and MinIO read through: about 4 GiB on any host, and a quarter of a large one, where
 * the page cache and the bigger uploads matter more. The rest is shared equally among the workers,
 * rounded down to a whole GiB and at least 1 GiB (on a tiny host jobs then compete with the
 * services: raise the host or lower the workers): that is `jobMemoryMax`, and `jobMemoryDefault`
 * is min(8 GiB, max). `/dev/shm` defaults to min(2 GiB, the memory default), as it counts against it.
 *
 * CPUs: the host's count divided by the workers, rounded down, at least 1 (CPU limits are a CFS
 * quota, not a reservation, so one CPU per worker on a crowded host is safe); default min(4, max).
 *
 * Fixed: 4096 PIDs (enough for data loaders with many threads, a fork bomb stops there), run time
 * 3 days by default and 30 days at most, 50 GiB of job images (the worker's defaults, config.ts).
 *
 * @returns answers in the flags' syntax, each within its validator and the schema's cross rules.
 */
export function deriveJobLimits({ hostMemoryBytes, hostCpus, workers }: { hostMemoryBytes: number; hostCpus: number; workers: number }): JobLimitAnswers {
  const count = Math.max(1, Math.floor(workers));
  const reserve = Math.max(4 * GiB, hostMemoryBytes / 4);
  const memoryMaxGiB = Math.max(1, Math.floor((hostMemoryBytes - reserve) / count / GiB));
  const memoryDefaultGiB = Math.min(8, memoryMaxGiB);
  const cpusMax = Math.max(1, Math.floor(hostCpus / count));
  return {
    jobMemoryMax: `${memoryMaxGiB}g`,
    jobMemoryDefault: `${memoryDefaultGiB}g`,
    jobCpusMax: cpusMax,
    jobCpusDefault: Math.min(4, cpusMax),
    jobShmSizeDefault: `${Math.min(2, memoryDefaultGiB)}g`,
    jobPidsLimit: 4096,
    jobMaxRunSecondsDefault: 3 * 24 * 3600,
    jobMaxRunSecondsMax: 30 * 24 * 3600,
    jobImageCacheGib: 50,
    inputCacheGib: 20,
  };
}
