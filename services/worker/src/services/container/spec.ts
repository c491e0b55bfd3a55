import path from 'node:path';
import { configurationFileEnv, containerPaths, labels, type Resources } from '@plz/contracts';
import { plzFolderParts } from './plzFolders.js';
import type { JobLimits } from './limits.js';

/**
 * The subset of Docker's container-create body that job containers use, named as the Engine API
 * names it (POST /containers/create, API v1.41: https://docs.docker.com/engine/api/v1.41/#tag/Container/operation/ContainerCreate).
 * Adapters pass it to dockerode unchanged.
 */
export interface ContainerSpec {
  /** Container name (query parameter `name`): one per execution, so a second create fails with 409. */
  name: string;
  Image: string;
  Env: string[];
  Labels: Record<string, string>;
  Tty: false;
  OpenStdin: false;
  AttachStdin: false;
  /** Seconds Docker waits after the stop signal before SIGKILL (also `t` of our stop calls). */
  StopTimeout: number;
  HostConfig: {
    NetworkMode: string;
    /** CPU quota in units of 1e-9 CPUs. */
    NanoCpus: number;
    /** Memory limit in bytes (cgroup v1 `memory.limit_in_bytes`, v2 `memory.max`); `MemorySwap` equal to it forbids swap. */
    Memory: number;
    MemorySwap: number;
    /** Size of /dev/shm in bytes. */
    ShmSize: number;
    /** Most processes and threads at once (cgroup `pids.max`, v1 and v2). */
    PidsLimit: number;
    /** GPUs: `Count` and `DeviceIDs` are mutually exclusive (Docker rejects both; NOTES.md). */
    DeviceRequests?: Array<{ Driver: string; DeviceIDs: string[]; Capabilities: string[][] }>;
    Mounts?: Array<{ Type: 'bind' | 'volume'; Source: string; Target: string; ReadOnly: boolean }>;
    Privileged: false;
    CapDrop: string[];
    SecurityOpt: string[];
    /** Runs docker-init (tini) as PID 1: signals reach the job's process, zombies are reaped. */
    Init: true;
    /** The `local` driver keeps the job's output readable by `docker logs` after a worker restart. */
    LogConfig: { Type: string; Config: Record<string, string> };
    RestartPolicy: { Name: 'no' };
    AutoRemove: false;
  };
}

/** What the container spec depends on: the execution, the worker and the deployment's settings. */
export interface ContainerSpecInput {
  executionId: string;
  workerId: string;
  /** sha256 of the snapshot the image was built from. */
  snapshot: string;
  /** Job image tag (jobImageTag of the snapshot). */
  image: string;
  /** The worker's GPU device ids; empty for a CPU worker. */
  deviceIds: readonly string[];
  resources: Resources;
  /** The job's limits (resolveLimits of its request). */
  limits: JobLimits;
  network: string;
  /** DATASETS_SOURCE: an absolute host path (bind) or a volume name; undefined for none. */
  datasetsSource?: string | undefined;
  /**
   * Absolute host path of the extracted input in the worker's input cache (services/inputs),
   * bind-mounted read-only at /plz/input; undefined when the input is copied in (or there is none).
   */
  inputSource?: string | undefined;
  /**
   * Absolute host path of the execution's configuration file (configurationFiles.ts),
   * bind-mounted read-only at /plz/configuration.json; undefined when the file is copied in.
   */
  configurationSource?: string | undefined;
  /**
   * Absolute host path of the execution's folder on the worker's volume (plzFolders.ts), whose
   * `output`, `measures` and `summary` are bind-mounted read-write at /plz/output, /plz/measures
   * and /plz/summary; undefined when the job writes them into its container, read back through
   * Docker's archive.
   */
  plzFolderSource?: string | undefined;
  stopGraceSeconds: number;
  extraLabels?: Record<string, string>;
}

/**
 * Capabilities removed from Docker's default set (which is already small): raw sockets, device
 * nodes, audit, file capabilities, capability changes, chroot and low ports are of no use to a
 * training job. CHOWN, DAC_OVERRIDE, FOWNER, FSETID, SETUID, SETGID and KILL stay, since images that
 * switch users in their entrypoint (gosu, su) need them.
 */
export const droppedCapabilities = ['NET_RAW', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP', 'SETPCAP', 'SYS_CHROOT', 'NET_BIND_SERVICE'] as const;

/**
 * Value of the job's `NVIDIA_VISIBLE_DEVICES`: exactly its device ids joined with commas, or `void`
 * for a CPU job. The NVIDIA container runtime reads this variable from the container's environment
 * (https://github.com/NVIDIA/nvidia-container-toolkit, "Environment variables"; `void` and `none`
 * expose no GPU, `void` also no driver libraries); setting it in the container's `Env` overrides an
 * image `ENV NVIDIA_VISIBLE_DEVICES=all` (CUDA base images have it), so on a host whose default
 * runtime is `nvidia` the job still sees only its own devices.
 */
export const visibleDevices = (deviceIds: readonly string[]): string => (deviceIds.length > 0 ? deviceIds.join(',') : 'void');

/** Label recording the job's maximum run time in seconds, read back when a restarted worker re-attaches. */
export const maxRunSecondsLabel = 'org.plz.max-run-seconds';

/** Name of the job container of an execution. */
export const jobContainerName = (executionId: string): string => `plz-job-${executionId}`;

/**
 * Builds the job container's create body (pure). GPU workers get one NVIDIA device request naming
 * exactly their device ids (never a `Count`); CPU workers get none. Limits, always set (Engine API
 * HostConfig fields, applied on cgroup v1 and v2): `limits.cpus` → NanoCpus, `limits.memoryBytes` →
 * Memory = MemorySwap (no swap), `limits.shmBytes` → ShmSize, `limits.pidsLimit` → PidsLimit; the
 * maximum run time goes in the label `org.plz.max-run-seconds` (the worker enforces it). The datasets source
 * is mounted read-only at /datasets, a cached input's folder (`inputSource`, only that entry's
 * data folder, not the cache) read-only at /plz/input, and the execution's configuration file
 * (`configurationSource`, that one file) read-only at /plz/configuration.json, and the execution's
 * output, measures and summary folders on the worker's volume (`plzFolderSource`) read-write at
 * /plz/output, /plz/measures and /plz/summary when it has them. `NVIDIA_VISIBLE_DEVICES` names exactly the worker's devices
 * (`void` for a CPU job; see visibleDevices). No privileges: not privileged, capabilities dropped,
 * no-new-privileges, no Docker socket (no mount but the datasets, the input, the configuration file and the execution's folders).
 *
 * @throws Error when the request asks for more GPUs than the worker has, or GPUs of a CPU worker.
 */
export function containerSpec(input: ContainerSpecInput): ContainerSpec {
  const { resources, deviceIds } = input;
  if (resources.gpus !== deviceIds.length) {
    throw new Error(`the execution asks for ${resources.gpus} GPU(s) but this worker owns ${deviceIds.length}: it was queued on the wrong queue`);
  }
  const hostConfig: ContainerSpec['HostConfig'] = {
    NetworkMode: input.network,
    NanoCpus: Math.round(input.limits.cpus * 1e9),
    Memory: input.limits.memoryBytes,
    MemorySwap: input.limits.memoryBytes,
    ShmSize: input.limits.shmBytes,
    PidsLimit: input.limits.pidsLimit,
    Privileged: false,
    CapDrop: [...droppedCapabilities],
    SecurityOpt: ['no-new-privileges:true'],
    Init: true,
    LogConfig: { Type: 'local', Config: { 'max-size': '100m', 'max-file': '5' } },
    RestartPolicy: { Name: 'no' },
    AutoRemove: false,
  };
  if (deviceIds.length > 0) {
    // https://docs.docker.com/engine/api/v1.41/#tag/Container/operation/ContainerCreate (HostConfig.DeviceRequests)
    hostConfig.DeviceRequests = [{ Driver: 'nvidia', DeviceIDs: [...deviceIds], Capabilities: [['gpu']] }];
  }
  const mounts: NonNullable<ContainerSpec['HostConfig']['Mounts']> = [];
  if (input.datasetsSource) {
    const bind = path.isAbsolute(input.datasetsSource);
    mounts.push({ Type: bind ? 'bind' : 'volume', Source: input.datasetsSource, Target: containerPaths.datasets, ReadOnly: true });
  }
  if (input.plzFolderSource !== undefined) {
    const source = input.plzFolderSource;
    if (!path.isAbsolute(source)) throw new Error(`the execution folder's host path must be absolute: ${source}`);
    for (const part of plzFolderParts) mounts.push({ Type: 'bind', Source: path.posix.join(source, part), Target: `${containerPaths.root}/${part}`, ReadOnly: false });
  }
  if (input.inputSource !== undefined) {
    if (!path.isAbsolute(input.inputSource)) throw new Error(`the input's host path must be absolute: ${input.inputSource}`);
    mounts.push({ Type: 'bind', Source: input.inputSource, Target: containerPaths.input, ReadOnly: true });
  }
  if (input.configurationSource !== undefined) {
    if (!path.isAbsolute(input.configurationSource)) throw new Error(`the configuration file's host path must be absolute: ${input.configurationSource}`);
    mounts.push({ Type: 'bind', Source: input.configurationSource, Target: containerPaths.configurationFile, ReadOnly: true });
  }
  if (mounts.length > 0) hostConfig.Mounts = mounts;
  return {
    name: jobContainerName(input.executionId),
    Image: input.image,
    Env: [`${configurationFileEnv}=${containerPaths.configurationFile}`, 'PYTHONUNBUFFERED=1', `NVIDIA_VISIBLE_DEVICES=${visibleDevices(deviceIds)}`],
    Labels: {
      ...input.extraLabels,
      [labels.execution]: input.executionId,
      [labels.worker]: input.workerId,
      [labels.snapshot]: input.snapshot,
      [maxRunSecondsLabel]: String(input.limits.maxRunSeconds),
    },
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    StopTimeout: input.stopGraceSeconds,
    HostConfig: hostConfig,
  };
}
