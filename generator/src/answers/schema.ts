import { z } from 'zod';
import { parseGpuGroups } from '../gpus.js';
import { localImageTag } from '../images.js';
import { generatorVersion } from '../paths.js';
import {
  parseWholeNumber,
  splitWords,
  validateBindAddress,
  validateComposeCommand,
  validateControllerAddress,
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
  validatePlainHttp,
  validatePortsDiffer,
  validateServerName,
  validateSystemdMounts,
  validateWorkerCount,
  validateWorkerHostsPort,
  validateWorkerHostsPortsDiffer,
  type Validation,
} from './validators.js';
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
import { deriveJobLimits, referenceHost, type HostFacts } from './derive.js';

/** The roles of a deployment folder (AnswersSchema `role`). */
export const roles = ['controller', 'worker'] as const;
export type Role = (typeof roles)[number];

/** Turns a validator into a zod refinement that reports its message. */
const check =
  <T>(validate: (value: T) => Validation) =>
  (value: T, ctx: z.RefinementCtx): void => {
    const result = validate(value);
    if (result !== true) ctx.addIssue({ code: 'custom', message: result });
  };

/** Trimmed text (flags and prompts give strings; numbers from yo's parser become strings). */
const text = z.preprocess((value) => (typeof value === 'number' ? String(value) : value), z.string().trim());

/** A whole number written as digits; the validator's message when it is not one. */
const wholeNumber = (validate: (value: string) => Validation) =>
  text.superRefine(check(validate)).transform((value) => parseWholeNumber(value) ?? 0);

/** A size in the worker's syntax, stored lower-case (`24g`). */
const size = (validate: (value: string) => Validation) => text.superRefine(check(validate)).transform((value) => value.toLowerCase());

/** A positive number of CPUs. */
const cpus = (flag: string) => text.superRefine(check((value: string) => validateJobCpus(flag, value))).transform((value) => parseCpus(value) ?? 0);

/** `true`/`false` from flags, prompts or .yo-rc.json. */
const flag = z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());

/**
 * Every answer of the generator, validated and normalised: the content of `.yo-rc.json` and the
 * only input of the rendering (through the context built from it).
 */
export const AnswersSchema = z
  .object({
    /**
     * What this folder deploys: `controller` (the whole deployment) or `worker` (a worker host's
     * workers only, joining a controller with a join bundle: `--join BUNDLE`; ARCHITECTURE.md §7).
     */
    role: text.pipe(z.enum(roles, { message: 'role must be controller or worker' })),
    /**
     * Worker role: the IP address the bundle's server name is mapped to in the workers (compose
     * `extra_hosts`), when that name does not resolve on this host; '' for none (DNS resolves it).
     */
    controllerAddress: text.superRefine(check((value: string) => (value === '' ? true : validateControllerAddress(value)))),
    /** Deployment name; its slug names the compose project, volumes, networks and systemd unit. */
    name: text.superRefine(check(validateName)),
    /** Host name (or address) clients use; NGINX's server_name and MLflow's allowed hosts. */
    serverName: text.superRefine(check(validateServerName)),
    /** Host address NGINX publishes its ports on. */
    bindAddress: text.superRefine(check(validateBindAddress)),
    httpPort: wholeNumber((value) => validatePort('HTTP port', value)),
    httpsPort: wholeNumber((value) => validatePort('HTTPS port', value)),
    /** Initial TLS state of NGINX (init-deployment.sh remembers later changes). */
    https: flag,
    /** Plain HTTP allowed on a bind address that is not loopback (a trusted network); see validatePlainHttp. */
    allowPlainHttp: flag,
    /** GPU groups in canonical form: `0,1`, `0+1,2+3` or `none`. */
    gpus: text.superRefine(check(validateGpus)).transform((value) => {
      const groups = parseGpuGroups(value);
      return groups.length === 0 ? 'none' : groups.map((group) => group.join('+')).join(',');
    }),
    cpuWorkers: wholeNumber(validateCpuWorkers),
    /** Absolute host folder mounted read-only at /datasets in job containers; '' for none. */
    datasetsDirectory: text.superRefine(check((value: string) => validateDatasetsDirectory(value))),
    /** Registry of the plz images; '' builds them from the sources copied into the deployment. */
    imageRegistry: text.superRefine(check(validateImageRegistry)).transform((value) => value.replace(/\/+$/, '')),
    imageTag: text.superRefine(check(validateImageTag)),
    composeCommand: text.superRefine(check(validateComposeCommand)).transform((value) => value.split(/\s+/).join(' ')),
    /** Absolute paths, space-separated, that systemd mounts before starting the deployment. */
    systemdMounts: text.superRefine(check(validateSystemdMounts)).transform((value) => splitWords(value).join(' ')),
    /** Limits of every job of each worker (envs/worker.env JOB_*; services/worker/README.md "Job limits"), derived from the host by default (deriveJobLimits). */
    jobMemoryMax: size((value) => validateJobMemory('job-memory-max', value)),
    jobMemoryDefault: size((value) => validateJobMemory('job-memory-default', value)),
    jobCpusMax: cpus('job-cpus-max'),
    jobCpusDefault: cpus('job-cpus-default'),
    jobShmSizeDefault: size(validateJobShmSize),
    jobPidsLimit: wholeNumber(validateJobPidsLimit),
    /** Seconds. */
    jobMaxRunSecondsDefault: wholeNumber((value) => validateJobRunSeconds('job-max-run-seconds-default', value)),
    jobMaxRunSecondsMax: wholeNumber((value) => validateJobRunSeconds('job-max-run-seconds-max', value)),
    /** GiB of job images kept on the Docker host (JOB_IMAGE_CACHE_GIB); 0 keeps them all. */
    jobImageCacheGib: wholeNumber(validateJobImageCacheGib),
    /** GiB of extracted inputs kept by each worker (INPUT_CACHE_GIB); 0: none kept. */
    inputCacheGib: wholeNumber(validateInputCacheGib),
    /**
     * Fair sharing of the queues (envs/queue.env, read by the REST API and every worker;
     * packages/lifecycle/src/dispatch/settings.ts): the window in hours, the quantum in seconds,
     * the cap of one user's executions held by one queue's workers (0: none), and the `high`
     * executions a user who is not an admin may submit per window.
     */
    fairShareWindowHours: wholeNumber(validateFairShareWindowHours),
    fairShareQuantumSeconds: wholeNumber(validateFairShareQuantumSeconds),
    maxRunningPerUser: wholeNumber(validateMaxRunningPerUser),
    highPriorityAllowance: wholeNumber(validateHighPriorityAllowance),
    /**
     * Worker hosts (ARCHITECTURE.md §7): whether the controller publishes what workers on other
     * hosts need, over TLS only (Redis's TLS port, PostgreSQL for the worker-host roles, MinIO's S3
     * API and MLflow's REST API through NGINX), on `workerHostsAddress` at these ports. Off: nothing
     * more is published than without them.
     */
    workerHosts: flag,
    workerHostsAddress: text.superRefine(check((value: string) => validateBindAddress(value))),
    workerHostsRedisPort: wholeNumber((value) => validateWorkerHostsPort('worker-hosts-redis-port', value)),
    workerHostsPostgresPort: wholeNumber((value) => validateWorkerHostsPort('worker-hosts-postgres-port', value)),
    workerHostsMinioPort: wholeNumber((value) => validateWorkerHostsPort('worker-hosts-minio-port', value)),
    workerHostsMlflowPort: wholeNumber((value) => validateWorkerHostsPort('worker-hosts-mlflow-port', value)),
  })
  .superRefine((answers, ctx) => {
    if (answers.role === 'worker' && answers.workerHosts) ctx.addIssue({ code: 'custom', message: '--worker-hosts is for a controller: a worker host (--role worker) joins one', path: ['workerHosts'] });
    if (answers.role === 'controller' && answers.controllerAddress !== '') ctx.addIssue({ code: 'custom', message: '--controller-address is for a worker host (--role worker --join BUNDLE)', path: ['controllerAddress'] });
    const ports = validatePortsDiffer(answers.httpPort, answers.httpsPort);
    if (ports !== true) ctx.addIssue({ code: 'custom', message: ports, path: ['httpsPort'] });
    const plainHttp = answers.role === 'worker' ? true : validatePlainHttp(answers.bindAddress, answers.https, answers.allowPlainHttp);
    if (plainHttp !== true) ctx.addIssue({ code: 'custom', message: plainHttp, path: ['allowPlainHttp'] });
    const gpuWorkers = answers.gpus === 'none' ? 0 : answers.gpus.split(',').length;
    const workers = validateWorkerCount(gpuWorkers, answers.cpuWorkers);
    if (workers !== true) ctx.addIssue({ code: 'custom', message: workers, path: ['cpuWorkers'] });
    const bytes = (value: string): number => parseSize(value) ?? 0;
    const limits: Array<[Validation, string]> = [
      [validateDefaultWithinMax('memory', 'job-memory-default', bytes(answers.jobMemoryDefault), 'job-memory-max', bytes(answers.jobMemoryMax), formatSize), 'jobMemoryDefault'],
      [validateDefaultWithinMax('CPUs', 'job-cpus-default', answers.jobCpusDefault, 'job-cpus-max', answers.jobCpusMax), 'jobCpusDefault'],
      [validateDefaultWithinMax('run time', 'job-max-run-seconds-default', answers.jobMaxRunSecondsDefault, 'job-max-run-seconds-max', answers.jobMaxRunSecondsMax), 'jobMaxRunSecondsDefault'],
      [validateShmWithinMemory(bytes(answers.jobShmSizeDefault), bytes(answers.jobMemoryDefault)), 'jobShmSizeDefault'],
    ];
    for (const [result, path] of limits) if (result !== true) ctx.addIssue({ code: 'custom', message: result, path: [path] });
    if (answers.workerHosts) {
      const clash = validateWorkerHostsPortsDiffer(answers.workerHostsAddress, workerHostsPorts(answers), { bindAddress: answers.bindAddress, http: answers.httpPort, https: answers.httpsPort });
      if (clash !== true) ctx.addIssue({ code: 'custom', message: clash, path: ['workerHostsMlflowPort'] });
    }
  });

/** The worker-hosts ports by flag, in the order the questions ask them. */
export function workerHostsPorts(answers: { workerHostsRedisPort: number; workerHostsPostgresPort: number; workerHostsMinioPort: number; workerHostsMlflowPort: number }): Array<[string, number]> {
  return [
    ['worker-hosts-redis-port', answers.workerHostsRedisPort],
    ['worker-hosts-postgres-port', answers.workerHostsPostgresPort],
    ['worker-hosts-minio-port', answers.workerHostsMinioPort],
    ['worker-hosts-mlflow-port', answers.workerHostsMlflowPort],
  ];
}

/** Answers stored and rendered only for a deployment with worker hosts (left out of .yo-rc.json otherwise). */
export const workerHostsAnswerNames = ['workerHosts', 'workerHostsAddress', 'workerHostsRedisPort', 'workerHostsPostgresPort', 'workerHostsMinioPort', 'workerHostsMlflowPort'] as const;

export type Answers = z.infer<typeof AnswersSchema>;
export type AnswerName = keyof Answers;

/**
 * Default answers: a single-host deployment named `plz`, reachable on this machine only, with one
 * CPU worker and one GPU worker per GPU that `host` has (`nvidia-smi -L`; none on a host without a
 * working NVIDIA driver, so that it starts on any machine), images built from the sources.
 * The image tag defaults to `dev` for local builds and to the generator's version with a registry.
 * The job limits are derived from `host` for those workers (deriveJobLimits; baseAnswers derives
 * them again for the actual worker count). Fair share as the services default it: a 24-hour window,
 * a 60-second quantum, no cap per user, high priority for admins only. No worker hosts; when asked
 * for, they are published on loopback at Redis 6380, PostgreSQL 5432, S3 9443 and MLflow 5443.
 */
export function defaultAnswers(imageRegistry = '', host: HostFacts = referenceHost): Record<AnswerName, string | number | boolean> {
  return {
    role: 'controller',
    controllerAddress: '',
    name: 'plz',
    serverName: 'localhost',
    bindAddress: '127.0.0.1',
    httpPort: 80,
    httpsPort: 443,
    https: false,
    allowPlainHttp: false,
    gpus: host.gpus.length === 0 ? 'none' : host.gpus.join(','),
    cpuWorkers: 1,
    datasetsDirectory: '',
    imageRegistry,
    imageTag: imageRegistry === '' ? localImageTag : generatorVersion,
    composeCommand: 'docker compose',
    systemdMounts: '',
    ...deriveJobLimits({ hostMemoryBytes: host.memoryBytes, hostCpus: host.cpus, workers: host.gpus.length + 1 }),
    fairShareWindowHours: 24,
    fairShareQuantumSeconds: 60,
    maxRunningPerUser: 0,
    highPriorityAllowance: 0,
    workerHosts: false,
    workerHostsAddress: '127.0.0.1',
    workerHostsRedisPort: 6380,
    workerHostsPostgresPort: 5432,
    workerHostsMinioPort: 9443,
    workerHostsMlflowPort: 5443,
  };
}

/**
 * The answers as .yo-rc.json keeps them: all of them, but without the worker-hosts settings when
 * worker hosts are off, and without the role for a controller (a deployment without them stores
 * what it stored before they existed); a worker host keeps no answer of controllerOnlyAnswerNames.
 */
export function storedForm(answers: Answers): Partial<Answers> {
  const stored: Partial<Answers> = { ...answers };
  if (answers.role === 'worker') {
    for (const name of controllerOnlyAnswerNames) delete stored[name];
    return stored;
  }
  delete stored.role;
  delete stored.controllerAddress;
  if (answers.workerHosts) return stored;
  for (const name of workerHostsAnswerNames) delete stored[name];
  return stored;
}

/**
 * Answers that mean nothing on a worker host (`--role worker`): neither asked nor stored there. The
 * queue answers are the controller's, from the join bundle.
 */
export const controllerOnlyAnswerNames = ['serverName', 'bindAddress', 'httpPort', 'httpsPort', 'https', 'allowPlainHttp', ...workerHostsAnswerNames] as const;

/** Answers a worker host takes from its join bundle (the controller's envs/queue.env), never asked there. */
export const bundleAnswerNames = ['fairShareWindowHours', 'fairShareQuantumSeconds', 'maxRunningPerUser', 'highPriorityAllowance'] as const;

/** Answers that failed validation, each message on its own line. */
export class AnswersError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid answers:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'AnswersError';
  }
}

/**
 * Validates merged raw answers (defaults, then .yo-rc.json, then flags, then prompts).
 *
 * @throws AnswersError listing every problem with its message.
 */
export function parseAnswers(raw: Record<string, unknown>): Answers {
  const parsed = AnswersSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new AnswersError(parsed.error.issues.map((issue) => (issue.code === 'custom' ? issue.message : `${issue.path.join('.')}: ${issue.message}`)));
}
