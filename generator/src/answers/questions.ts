import path from 'node:path';
import {
  isLoopbackAddress,
  validateBindAddress,
  validateComposeCommand,
  validateControllerAddress,
  validateRole,
  validateCpuWorkers,
  validateDatasetsDirectory,
  validateFairShareQuantumSeconds,
  validateFairShareWindowHours,
  validateGpus,
  validateHighPriorityAllowance,
  validateImageRegistry,
  validateImageTag,
  validateMaxRunningPerUser,
  validateName,
  validatePort,
  validatePortsDiffer,
  validateServerName,
  validateSystemdMounts,
  validateWorkerHostsPort,
  parseWholeNumber,
  type Validation,
} from './validators.js';
import type { AnswerName } from './schema.js';
import {
  formatSize,
  parseCpus,
  parseSize,
  validateDefaultWithinMax,
  validateJobCpus,
  validateJobImageCacheGib,
  validateInputCacheGib,
  validateJobMemory,
  validateJobPidsLimit,
  validateJobRunSeconds,
  validateJobShmSize,
  validateShmWithinMemory,
} from './job-limits.js';

/** One question of the generator, asked interactively or answered by its flag. */
export interface Question {
  name: AnswerName;
  /** Command-line flag (`--http-port`), kebab-case. */
  flag: string;
  message: string;
  kind: 'text' | 'confirm';
  /** Checks an answer given the answers so far (raw values). */
  validate: (value: string, answers: Record<string, unknown>) => Validation;
  /** Normalises a raw answer before validation (relative paths become absolute). */
  normalize?: (value: string, cwd: string) => string;
  /** Whether the prompt asks it, given the answers so far (raw values); asked always when absent. Its flag is always read. */
  when?: (answers: Record<string, unknown>) => boolean;
}

/**
 * Checks a default against its maximum once both are known (the answers so far); `parse` reads
 * either (undefined when it is not valid yet: its own validator reports that).
 */
const withinMax =
  (validate: (value: string) => Validation, parse: (value: string) => number | undefined, maxName: AnswerName, rule: (value: number, max: number) => Validation) =>
  (value: string, answers: Record<string, unknown>): Validation => {
    const own = validate(value);
    if (own !== true) return own;
    const max = parse(String(answers[maxName] ?? ''));
    return max === undefined ? true : rule(parse(value) ?? 0, max);
  };

/** Whether this folder is a worker host's (`--role worker`), given the answers so far. */
function workerRole(answers: Record<string, unknown>): boolean {
  return String(answers['role'] ?? '').trim() === 'worker';
}

/** Asked of a controller only: the question means nothing on a worker host (schema.ts controllerOnlyAnswerNames, bundleAnswerNames). */
const controllerOnly = (answers: Record<string, unknown>): boolean => !workerRole(answers);

/** Whether the worker-hosts questions are asked: after a yes to `--worker-hosts`, on a controller. */
function workerHostsAsked(answers: Record<string, unknown>): boolean {
  return !workerRole(answers) && (answers['workerHosts'] === true || answers['workerHosts'] === 'true');
}

const resolvePath = (value: string, cwd: string): string => (value.trim() === '' ? '' : path.resolve(cwd, value.trim()));

/** The questions, in the order they are asked. Every one has a flag, so the generator runs unattended. */
export const questions: readonly Question[] = [
  {
    name: 'role',
    flag: 'role',
    kind: 'text',
    message: 'Role of this host: controller (the whole deployment) or worker (workers only, joining a controller with --join BUNDLE)',
    validate: validateRole,
  },
  { name: 'name', flag: 'name', kind: 'text', message: 'Deployment name (its slug names the compose project, volumes and networks)', validate: validateName },
  { name: 'serverName', flag: 'server-name', kind: 'text', message: 'Server name clients use to reach this host', validate: validateServerName, when: controllerOnly },
  { name: 'bindAddress', flag: 'bind-address', kind: 'text', message: 'Host address NGINX listens on (127.0.0.1: this machine only; 0.0.0.0: every interface)', validate: validateBindAddress, when: controllerOnly },
  { name: 'httpPort', flag: 'http-port', kind: 'text', message: 'HTTP port on the host', validate: (value) => validatePort('HTTP port', value), when: controllerOnly },
  {
    name: 'httpsPort',
    flag: 'https-port',
    kind: 'text',
    message: 'HTTPS port on the host',
    validate: (value, answers) => {
      const port = validatePort('HTTPS port', value);
      if (port !== true) return port;
      const http = parseWholeNumber(String(answers['httpPort'] ?? ''));
      return http === undefined ? true : validatePortsDiffer(http, parseWholeNumber(value) ?? 0);
    },
    when: controllerOnly,
  },
  { name: 'https', flag: 'https', kind: 'confirm', message: 'Serve HTTPS from the start (certificate and key in ssl/nginx/)?', validate: () => true, when: controllerOnly },
  {
    name: 'allowPlainHttp',
    flag: 'allow-plain-http',
    kind: 'confirm',
    message: 'Allow plain HTTP on a bind address other than loopback (tokens and session cookies cross the network in clear text: a trusted network only)?',
    validate: () => true,
    when: (answers) => controllerOnly(answers) && answers['https'] !== true && answers['https'] !== 'true' && !isLoopbackAddress(String(answers['bindAddress'] ?? '').trim()),
  },
  { name: 'gpus', flag: 'gpus', kind: 'text', message: 'GPU workers: device ids, "," between workers, "+" within one (0,1,2,3 or 0+1,2+3 or none)', validate: validateGpus },
  { name: 'cpuWorkers', flag: 'cpu-workers', kind: 'text', message: 'Number of CPU workers', validate: validateCpuWorkers },
  {
    name: 'datasetsDirectory',
    flag: 'datasets-directory',
    kind: 'text',
    message: 'Host folder of datasets, mounted read-only at /datasets in jobs (empty: none)',
    validate: (value) => validateDatasetsDirectory(value),
    normalize: resolvePath,
  },
  { name: 'imageRegistry', flag: 'image-registry', kind: 'text', message: 'Registry of the plz images (empty: build them here from the sources)', validate: validateImageRegistry },
  { name: 'imageTag', flag: 'image-tag', kind: 'text', message: 'Tag of the plz images', validate: validateImageTag },
  { name: 'composeCommand', flag: 'compose-command', kind: 'text', message: 'Docker Compose v2 command', validate: validateComposeCommand },
  { name: 'systemdMounts', flag: 'systemd-mounts', kind: 'text', message: 'Mounts systemd must wait for, space-separated (the deployment and datasets folders are added)', validate: validateSystemdMounts },
  { name: 'jobMemoryMax', flag: 'job-memory-max', kind: 'text', message: "Most memory one job may ask for, per worker (such as 24g; derived: the host's memory left after the services, shared among the workers)", validate: (value) => validateJobMemory('job-memory-max', value) },
  {
    name: 'jobMemoryDefault',
    flag: 'job-memory-default',
    kind: 'text',
    message: 'Memory of a job that asks for none (at most the maximum)',
    validate: withinMax((value) => validateJobMemory('job-memory-default', value), parseSize, 'jobMemoryMax', (value, max) => validateDefaultWithinMax('memory', 'job-memory-default', value, 'job-memory-max', max, formatSize)),
  },
  { name: 'jobCpusMax', flag: 'job-cpus-max', kind: 'text', message: "Most CPUs one job may ask for (derived: the host's CPUs shared among the workers)", validate: (value) => validateJobCpus('job-cpus-max', value) },
  {
    name: 'jobCpusDefault',
    flag: 'job-cpus-default',
    kind: 'text',
    message: 'CPUs of a job that asks for none (at most the maximum)',
    validate: withinMax((value) => validateJobCpus('job-cpus-default', value), parseCpus, 'jobCpusMax', (value, max) => validateDefaultWithinMax('CPUs', 'job-cpus-default', value, 'job-cpus-max', max)),
  },
  {
    name: 'jobShmSizeDefault',
    flag: 'job-shm-size-default',
    kind: 'text',
    message: "/dev/shm of a job that asks for none (at most the default memory, which it counts against)",
    validate: withinMax(validateJobShmSize, parseSize, 'jobMemoryDefault', validateShmWithinMemory),
  },
  { name: 'jobPidsLimit', flag: 'job-pids-limit', kind: 'text', message: 'Processes and threads of one job (a fork bomb stops there)', validate: validateJobPidsLimit },
  { name: 'jobMaxRunSecondsMax', flag: 'job-max-run-seconds-max', kind: 'text', message: 'Longest run time one job may ask for, in seconds (2592000: 30 days)', validate: (value) => validateJobRunSeconds('job-max-run-seconds-max', value) },
  {
    name: 'jobMaxRunSecondsDefault',
    flag: 'job-max-run-seconds-default',
    kind: 'text',
    message: 'Run time of a job that asks for none, in seconds (259200: 3 days)',
    validate: withinMax(
      (value) => validateJobRunSeconds('job-max-run-seconds-default', value),
      (value) => parseWholeNumber(value),
      'jobMaxRunSecondsMax',
      (value, max) => validateDefaultWithinMax('run time', 'job-max-run-seconds-default', value, 'job-max-run-seconds-max', max),
    ),
  },
  { name: 'jobImageCacheGib', flag: 'job-image-cache-gib', kind: 'text', message: 'GiB of job images kept on this host (least recently used removed beyond it; 0 keeps them all)', validate: validateJobImageCacheGib },
  { name: 'inputCacheGib', flag: 'input-cache-gib', kind: 'text', message: 'GiB of inputs each worker keeps extracted for the next job (least recently used removed beyond it; 0 keeps none)', validate: validateInputCacheGib },
  {
    name: 'fairShareWindowHours',
    flag: 'fair-share-window-hours',
    kind: 'text',
    message: "Fair share: hours of use remembered (a free worker takes the next execution of the user who used the queue's workers least over them)",
    validate: validateFairShareWindowHours,
    when: controllerOnly,
  },
  { name: 'fairShareQuantumSeconds', flag: 'fair-share-quantum-seconds', kind: 'text', message: 'Fair share: seconds every execution counts at least (shorter ones take turns)', validate: validateFairShareQuantumSeconds, when: controllerOnly },
  { name: 'maxRunningPerUser', flag: 'max-running-per-user', kind: 'text', message: "Executions of one user that one queue's workers hold at once, preparing or running (0: no cap)", validate: validateMaxRunningPerUser, when: controllerOnly },
  { name: 'highPriorityAllowance', flag: 'high-priority-allowance', kind: 'text', message: 'High-priority executions a user who is not an admin may submit per window (0: admins only)', validate: validateHighPriorityAllowance, when: controllerOnly },
  {
    name: 'workerHosts',
    flag: 'worker-hosts',
    kind: 'confirm',
    message: 'Let workers on other hosts join (publishes Redis, PostgreSQL, S3 and MLflow over TLS for them; ./init-deployment.sh --worker-host-bundle NAME writes their credentials)?',
    validate: () => true,
    when: controllerOnly,
  },
  {
    name: 'workerHostsAddress',
    flag: 'worker-hosts-address',
    kind: 'text',
    message: 'Host address the worker-hosts ports are published on (127.0.0.1: this machine only; one of the host\'s addresses; 0.0.0.0: every interface)',
    validate: validateBindAddress,
    when: workerHostsAsked,
  },
  { name: 'workerHostsRedisPort', flag: 'worker-hosts-redis-port', kind: 'text', message: "Worker hosts: Redis's TLS port on the host", validate: (value) => validateWorkerHostsPort('worker-hosts-redis-port', value), when: workerHostsAsked },
  { name: 'workerHostsPostgresPort', flag: 'worker-hosts-postgres-port', kind: 'text', message: "Worker hosts: PostgreSQL's port on the host (TLS only)", validate: (value) => validateWorkerHostsPort('worker-hosts-postgres-port', value), when: workerHostsAsked },
  { name: 'workerHostsMinioPort', flag: 'worker-hosts-minio-port', kind: 'text', message: "Worker hosts: HTTPS port of MinIO's S3 API on the host", validate: (value) => validateWorkerHostsPort('worker-hosts-minio-port', value), when: workerHostsAsked },
  { name: 'workerHostsMlflowPort', flag: 'worker-hosts-mlflow-port', kind: 'text', message: "Worker hosts: HTTPS port of MLflow's REST API on the host", validate: (value) => validateWorkerHostsPort('worker-hosts-mlflow-port', value), when: workerHostsAsked },
  {
    name: 'controllerAddress',
    flag: 'controller-address',
    kind: 'text',
    message: "Worker host: the controller's IP address, mapped to its server name in the workers (empty: the name resolves here)",
    validate: (value) => (value.trim() === '' ? true : validateControllerAddress(value.trim())),
    when: workerRole,
  },
];
