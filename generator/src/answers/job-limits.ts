import { parseWholeNumber, type Validation } from './validators.js';

/**
 * Validators of the job limits each worker applies (services/worker/README.md, "Job limits";
 * services/worker/src/config.ts): pure functions returning `true` or a message naming the flag.
 * Sizes use the worker's syntax (`512m`, `8g`: digits with a unit b, k, m or g, powers of 1024,
 * as Docker writes them), CPUs a positive number, run times whole seconds.
 */

const GiB = 1024 ** 3;

/** Parses `512m`, `8g`, `1024` (bytes) into bytes; undefined when it is not such a size. Units are powers of 1024. */
export function parseSize(value: string | number): number | undefined {
  const match = /^(\d+)([bkmg]?)$/i.exec(String(value).trim());
  if (!match) return undefined;
  const power = { '': 0, b: 0, k: 1, m: 2, g: 3 }[match[2]!.toLowerCase() as '' | 'b' | 'k' | 'm' | 'g'];
  return Number(match[1]) * 1024 ** power;
}

/** A size as Docker writes it, of at least `least` bytes. */
export function validateSize(flag: string, value: string | number, least = 1): Validation {
  const bytes = parseSize(value);
  if (bytes === undefined) return `--${flag} "${value}" is not a size: digits with a unit b, k, m or g, such as 512m or 24g`;
  if (bytes < least) return `--${flag} "${value}" is too small: at least ${formatSize(least)}`;
  return true;
}

/** Memory of one job (--job-memory-max, --job-memory-default): a size of at least 64 MiB. */
export const validateJobMemory = (flag: string, value: string | number): Validation => validateSize(flag, value, 64 * 1024 ** 2);

/** `/dev/shm` of a job when the request sets none (--job-shm-size-default): a size of at least 1 MiB. */
export const validateJobShmSize = (value: string | number): Validation => validateSize('job-shm-size-default', value, 1024 ** 2);

/** Parses a positive number of CPUs (`4`, `0.5`); undefined otherwise. */
export function parseCpus(value: string | number): number | undefined {
  const text = String(value).trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const cpus = Number(text);
  return cpus > 0 ? cpus : undefined;
}

/** CPUs of one job (--job-cpus-max, --job-cpus-default): a positive number up to 1024 (the worker's bound; it also caps at the host's count). */
export function validateJobCpus(flag: string, value: string | number): Validation {
  const cpus = parseCpus(value);
  if (cpus === undefined || cpus > 1024) return `--${flag} "${value}" is not a number of CPUs: a positive number up to 1024, such as 4 or 0.5`;
  return true;
}

/** Processes and threads of one job (--job-pids-limit): 16 to 4194304 (the worker's bounds; Linux's pid_max ceiling). */
export function validateJobPidsLimit(value: string | number): Validation {
  const pids = parseWholeNumber(value);
  if (pids === undefined || pids < 16 || pids > 4_194_304) return `--job-pids-limit "${value}" is not a whole number from 16 to 4194304`;
  return true;
}

/** Run time of one job in seconds (--job-max-run-seconds-default, --job-max-run-seconds-max): a whole number, at least 1. */
export function validateJobRunSeconds(flag: string, value: string | number): Validation {
  const seconds = parseWholeNumber(value);
  if (seconds === undefined || seconds < 1) return `--${flag} "${value}" is not a whole number of seconds (at least 1; 86400 is a day)`;
  return true;
}

/** GiB of job images kept on the Docker host (--job-image-cache-gib): a whole number, 0 keeping them all. */
export function validateJobImageCacheGib(value: string | number): Validation {
  return parseWholeNumber(value) === undefined ? `--job-image-cache-gib "${value}" is not a whole number of GiB (0 keeps every job image)` : true;
}

/** GiB of extracted inputs each worker keeps (--input-cache-gib): a whole number, 0 turning the cache off. */
export function validateInputCacheGib(value: string | number): Validation {
  return parseWholeNumber(value) === undefined ? `--input-cache-gib "${value}" is not a whole number of GiB (0: inputs are copied into each job, not kept)` : true;
}

/**
 * A default must not exceed its maximum (the worker refuses to start otherwise, config.ts).
 *
 * @param what the limit in words ("memory"), for the message.
 * @param defaultFlag, maxFlag the flags, without dashes.
 */
export function validateDefaultWithinMax(what: string, defaultFlag: string, defaultValue: number, maxFlag: string, maxValue: number, format: (value: number) => string = String): Validation {
  if (defaultValue <= maxValue) return true;
  return `the default ${what} of a job (--${defaultFlag} ${format(defaultValue)}) is above its maximum (--${maxFlag} ${format(maxValue)}): lower the default or raise the maximum`;
}

/** /dev/shm counts against the job's memory: the default shm size must fit in the default memory. */
export function validateShmWithinMemory(shmBytes: number, memoryBytes: number): Validation {
  if (shmBytes <= memoryBytes) return true;
  return `the default /dev/shm size (--job-shm-size-default ${formatSize(shmBytes)}) is above the default memory of a job (--job-memory-default ${formatSize(memoryBytes)}), which it counts against: lower it`;
}

/** Bytes as the worker's syntax writes them, with the largest unit that divides them (`24g`, `512m`). */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [['g', GiB], ['m', 1024 ** 2], ['k', 1024]] as const) if (bytes % size === 0 && bytes >= size) return `${bytes / size}${unit}`;
  return String(bytes);
}
