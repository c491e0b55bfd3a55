import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ByteSize, type FairShareSettings } from '@plz/contracts';
import { FairShareEnv, fairShareSettings } from '@plz/lifecycle';
import { z } from 'zod';
import { gpuAssignment, type GpuAssignment } from './gpus.js';

/** Empty strings mean "not set" (compose passes `VAR=` for unset optional settings). */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** A setting with a default; empty means unset, like `optional`. */
const withDefault = <T extends z.ZodType>(schema: T, value: z.output<T>) =>
  z.preprocess((input) => (input === '' ? undefined : input), schema.optional()).transform((parsed) => (parsed ?? value) as z.output<T>);

/** Sizes are given as Docker writes them (`512m`, `8g`, or bytes: contracts ByteSize). */
const GiB = 1024 ** 3;
const Cpus = z.coerce.number().positive().max(1024);
const Seconds = z.coerce.number().int().positive();

/** A Docker volume name (as `docker volume create` accepts) or an absolute host path. */
const DatasetsSource = z
  .string()
  .refine((value) => path.isAbsolute(value) || /^[A-Za-z0-9][A-Za-z0-9_.-]+$/.test(value), 'expected an absolute host path or a Docker volume name');

/** `DOCKER_HOST` as the Docker CLI accepts it: `unix:///path/to/socket` or `tcp://host:port`. */
const DockerHost = z.string().regex(/^(unix:\/\/\/.+|tcp:\/\/[^/:]+:\d+\/?)$/, 'expected unix:///path or tcp://host:port');

/**
 * The deployment's address as users' browsers reach it, to link MLflow runs to their execution
 * pages: `http` or `https`, a host and an optional port, nothing else (no path, query, fragment or
 * credentials; a lone trailing `/` is accepted). Parsed to the URL's origin, e.g.
 * `https://gpu-box.example:8443` (no trailing slash, default ports left out).
 */
export const WebUrl = z.string().transform((value, ctx) => {
  const problem = (message: string) => {
    ctx.addIssue({ code: 'custom', message: `${message}, e.g. https://gpu-box.example:8443` });
    return z.NEVER;
  };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return problem('expected an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return problem('expected an http(s) URL');
  if (url.username || url.password) return problem('expected a URL without credentials');
  if (url.pathname !== '/' || value.includes('?') || value.includes('#')) return problem('expected a URL without path, query or fragment');
  return url.origin;
});

/** Settings of the worker, read once from the environment at start-up (STYLE.md, Services). */
export const ConfigSchema = z.object({
  /** Names the worker in heartbeats, container labels and executions (stable across restarts). */
  WORKER_ID: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected 1-63 letters, digits, ".", "_" or "-"'),
  /**
   * The host the worker runs on, as heartbeats publish it (`hostname`, shown by `plz workers` and
   * the workers page): a worker host's name from its join bundle (yo plz-deploy --role worker sets
   * it). Unset: the Docker engine's host name (GET /info `Name`). 1-63 letters, digits, ".", "_", "-".
   */
  WORKER_HOST: optional(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected 1-63 letters, digits, ".", "_" or "-"')),
  /** The worker's GPUs (NVIDIA container toolkit syntax); unset or `none` for a CPU worker. */
  NVIDIA_VISIBLE_DEVICES: optional(z.string()),
  DATABASE_URL: z.string().url(),
  REDIS_URL: z.string().url(),
  S3_ENDPOINT: z.string().url(),
  S3_ACCESS_KEY_ID: z.string().min(1),
  S3_SECRET_ACCESS_KEY: z.string().min(1),
  S3_REGION: z.string().default('us-east-1'),
  MLFLOW_URL: z.string().url(),
  /**
   * Basic credentials for MLflow (MLflow's own client variables), both or neither: a worker on a
   * worker host reaches MLflow's REST API through the controller's NGINX, which asks for the
   * host's user and password from its join bundle. Unset inside the controller (MLflow directly).
   */
  MLFLOW_TRACKING_USERNAME: optional(z.string().min(1)),
  MLFLOW_TRACKING_PASSWORD: optional(z.string().min(1)),
  /**
   * A worker on a worker host (ARCHITECTURE.md §7): absolute path of the PEM certificate of the
   * controller's CA (the join bundle's `caCertificate`). Set, every connection to the controller
   * must be TLS verified against it: REDIS_URL `rediss://`, DATABASE_URL with `sslmode=verify-full`,
   * S3_ENDPOINT and MLFLOW_URL `https://`, and NODE_EXTRA_CA_CERTS naming the same file (Node reads
   * it at start, for MLflow's fetch). Unset (inside the controller): connections as the URLs say.
   */
  CONTROLLER_CA_FILE: optional(z.string().refine((value) => path.isAbsolute(value), 'expected an absolute path')),
  /** Node's own variable, read here only to check it against CONTROLLER_CA_FILE. */
  NODE_EXTRA_CA_CERTS: optional(z.string()),
  /**
   * Where users' browsers reach the deployment (WebUrl: `https://host[:port]`), for the link from
   * each MLflow run to its execution page `<WEB_URL>/executions/<id>` (tag `plz.execution_url` and
   * the run's description). Compose fills it from `PLZ_WEB_URL` in .env, which ./init-deployment.sh
   * keeps by the TLS state of NGINX; unset, runs carry no URL tag and their description links to
   * the relative path `/executions/<id>` (which works in MLflow's UI served on the same origin).
   */
  WEB_URL: optional(WebUrl),
  /**
   * Log-batch requests in flight at once when sending measures to MLflow (1-16): match the MLflow
   * server's worker processes (`MLFLOW_WORKERS` in envs/mlflow.env) so that each stores a batch.
   */
  MLFLOW_LOG_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  HEARTBEAT_FILE: z.string().refine((value) => path.isAbsolute(value), 'expected an absolute path').default('/tmp/plz-worker-heartbeat'),
  /** Docker network of job containers (created by the deployment, isolated from its services). */
  JOBS_NETWORK: z.string().min(1),
  DATASETS_SOURCE: optional(DatasetsSource),
  EXTRA_CA_CERTIFICATES_DIR: optional(z.string().refine((value) => path.isAbsolute(value), 'expected an absolute path')),
  DOCKER_HOST: optional(DockerHost),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Limits of every job container (ARCHITECTURE.md §6): the default applies when the request sets
   * none, a request over the maximum ends the execution in `error` naming the setting. Memory is
   * Docker's `Memory` (= `MemorySwap`: no swap), CPUs its `NanoCpus`.
   */
  JOB_MEMORY_DEFAULT: withDefault(ByteSize, 8 * GiB),
  JOB_MEMORY_MAX: withDefault(ByteSize, 64 * GiB),
  JOB_CPUS_DEFAULT: withDefault(Cpus, 4),
  JOB_CPUS_MAX: withDefault(Cpus, 32),
  /** `/dev/shm` size when the request sets none, capped at the job's memory (shm pages count against it). */
  JOB_SHM_SIZE_DEFAULT: withDefault(ByteSize, 2 * GiB),
  /** Processes and threads of one job (`PidsLimit`): a fork bomb stops there. */
  JOB_PIDS_LIMIT: withDefault(z.coerce.number().int().min(16).max(4_194_304), 4096),
  /** Run time of a job in seconds (from its start; the build does not count). */
  JOB_MAX_RUN_SECONDS_DEFAULT: withDefault(Seconds, 3 * 24 * 3600),
  JOB_MAX_RUN_SECONDS_MAX: withDefault(Seconds, 30 * 24 * 3600),
  /** Time limit of a job image build in seconds (the build runs under the job's memory and CPUs, on JOBS_NETWORK). */
  JOB_BUILD_TIMEOUT_SECONDS: withDefault(Seconds, 3600),
  /**
   * Cap of the job images (`plz-job`) on this Docker host, GiB of their unique sizes: after each
   * build and at start, the least recently used are removed until under it (services/image/cache.ts);
   * 0: no pruning. Workers of one host should agree on it.
   */
  JOB_IMAGE_CACHE_GIB: withDefault(z.coerce.number().min(0), 50),
  /**
   * The worker's input cache (services/inputs/cache.ts): an absolute folder of the worker, which
   * must be a host folder (or a named volume) mounted there when the worker runs in a container,
   * so that job containers can bind-mount an extracted input from it. Inputs are extracted there
   * once and mounted read-only at /plz/input; unset, or not mounted from the host, each input is
   * copied into its container. The folder belongs to this worker alone.
   */
  INPUT_CACHE_DIR: optional(z.string().refine((value) => path.isAbsolute(value) && path.normalize(value) === value && !value.endsWith('/'), 'expected an absolute, normalised path other than /')),
  /** GiB of extracted inputs kept in INPUT_CACHE_DIR: past it the least recently used are removed (never one a container mounts); 0: no cache. */
  INPUT_CACHE_GIB: withDefault(z.coerce.number().min(0), 20),
  /**
   * Size cap of an execution's log (build lines and job output), bytes: past it the log is
   * truncated with a `[plz]` line saying so, the job goes on, and the execution keeps its own
   * outcome with the truncation noted in its `error` (services/run/executionLog.ts).
   */
  JOB_LOG_MAX_BYTES: withDefault(ByteSize, GiB),
  /**
   * Size cap of a job's output folder, bytes: files are kept while they fit, the others left out
   * and listed in the log, and the execution ends in `error` saying so (services/harvest/outputs.ts).
   */
  JOB_OUTPUT_MAX_BYTES: withDefault(ByteSize, 20 * GiB),
  /** Bytes of measure files read per pass (each file also at most 1 MiB): files past it are not read, noted in the log and `error`. */
  JOB_MEASURES_MAX_BYTES: withDefault(ByteSize, 100 * 1024 ** 2),
}).extend(FairShareEnv.shape);

/** Pairs of settings where the default must not exceed the maximum. */
const defaultsWithinMaxima = [
  ['JOB_MEMORY_DEFAULT', 'JOB_MEMORY_MAX'],
  ['JOB_CPUS_DEFAULT', 'JOB_CPUS_MAX'],
  ['JOB_MAX_RUN_SECONDS_DEFAULT', 'JOB_MAX_RUN_SECONDS_MAX'],
] as const;

export type Config = Readonly<
  z.infer<typeof ConfigSchema> & {
    gpus: GpuAssignment;
    /** The PEM text of CONTROLLER_CA_FILE, read at start; undefined without it. */
    controllerCa: string | undefined;
    /** The deployment's fair-share settings (envs/queue.env, the same file as the REST API's). */
    fairShare: FairShareSettings;
  }
>;

/**
 * Parses and freezes the configuration, with the GPU assignment derived from
 * `NVIDIA_VISIBLE_DEVICES` (see gpus.ts: `all` is refused).
 *
 * @param env the environment (default `process.env`, read only here).
 * @throws Error listing every missing or invalid variable, one per line.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  if (parsed.success) {
    for (const [low, high] of defaultsWithinMaxima) {
      if (parsed.data[low] > parsed.data[high]) problems.push(`  ${low}: ${parsed.data[low]} is more than ${high} (${parsed.data[high]})`);
    }
  }
  let controllerCa: string | undefined;
  if (parsed.success) {
    const tls = controllerTlsProblems(parsed.data);
    problems.push(...tls.problems);
    controllerCa = tls.ca;
  }
  let gpus: GpuAssignment | undefined;
  try {
    gpus = gpuAssignment(env['NVIDIA_VISIBLE_DEVICES']);
  } catch (error) {
    problems.push(`  NVIDIA_VISIBLE_DEVICES: ${(error as Error).message}`);
  }
  if (!parsed.success || !gpus || problems.length > 0) throw new Error(`invalid configuration:\n${problems.join('\n')}`);
  return Object.freeze({ ...parsed.data, gpus: Object.freeze(gpus), controllerCa, fairShare: Object.freeze(fairShareSettings(parsed.data)) });
}

/**
 * The checks of the connection settings of a worker on a worker host (CONTROLLER_CA_FILE set: every
 * connection TLS, verified against that CA) and of the MLflow credentials (both or neither), and
 * the CA's PEM text read from its file.
 */
function controllerTlsProblems(data: z.infer<typeof ConfigSchema>): { problems: string[]; ca: string | undefined } {
  const problems: string[] = [];
  if ((data.MLFLOW_TRACKING_USERNAME === undefined) !== (data.MLFLOW_TRACKING_PASSWORD === undefined)) {
    problems.push('  MLFLOW_TRACKING_USERNAME: give both MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or neither');
  }
  const file = data.CONTROLLER_CA_FILE;
  if (file === undefined) return { problems, ca: undefined };
  let ca: string | undefined;
  try {
    ca = readFileSync(file, 'utf8');
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) problems.push(`  CONTROLLER_CA_FILE: ${file} holds no PEM certificate`);
  } catch (error) {
    problems.push(`  CONTROLLER_CA_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
  const scheme = (value: string): string => new URL(value).protocol;
  if (scheme(data.REDIS_URL) !== 'rediss:') problems.push('  REDIS_URL: with CONTROLLER_CA_FILE, expected rediss:// (Redis over TLS)');
  if (new URL(data.DATABASE_URL).searchParams.get('sslmode') !== 'verify-full') problems.push('  DATABASE_URL: with CONTROLLER_CA_FILE, expected sslmode=verify-full');
  if (scheme(data.S3_ENDPOINT) !== 'https:') problems.push('  S3_ENDPOINT: with CONTROLLER_CA_FILE, expected https://');
  if (scheme(data.MLFLOW_URL) !== 'https:') problems.push('  MLFLOW_URL: with CONTROLLER_CA_FILE, expected https://');
  if (data.NODE_EXTRA_CA_CERTS !== file) problems.push(`  NODE_EXTRA_CA_CERTS: with CONTROLLER_CA_FILE, expected the same file (${file}), which Node reads at start for MLflow's fetch`);
  return { problems, ca };
}
