import path from 'node:path';
import { z } from 'zod';
import { gpuAssignment, type GpuAssignment } from './gpus.js';

/** Empty strings mean "not set" (compose passes `VAR=` for unset optional settings). */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** A Docker volume name (as `docker volume create` accepts) or an absolute host path. */
const DatasetsSource = z
  .string()
  .refine((value) => path.isAbsolute(value) || /^[A-Za-z0-9][A-Za-z0-9_.-]+$/.test(value), 'expected an absolute host path or a Docker volume name');

/** `DOCKER_HOST` as the Docker CLI accepts it: `unix:///path/to/socket` or `tcp://host:port`. */
const DockerHost = z.string().regex(/^(unix:\/\/\/.+|tcp:\/\/[^/:]+:\d+\/?)$/, 'expected unix:///path or tcp://host:port');

/** Settings of the worker, read once from the environment at start-up (STYLE.md, Services). */
export const ConfigSchema = z.object({
  /** Names the worker in heartbeats, container labels and executions (stable across restarts). */
  WORKER_ID: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected 1-63 letters, digits, ".", "_" or "-"'),
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
});

export type Config = Readonly<z.infer<typeof ConfigSchema> & { gpus: GpuAssignment }>;

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
  let gpus: GpuAssignment | undefined;
  try {
    gpus = gpuAssignment(env['NVIDIA_VISIBLE_DEVICES']);
  } catch (error) {
    problems.push(`  NVIDIA_VISIBLE_DEVICES: ${(error as Error).message}`);
  }
  if (!parsed.success || !gpus) throw new Error(`invalid configuration:\n${problems.join('\n')}`);
  return Object.freeze({ ...parsed.data, gpus: Object.freeze(gpus) });
}
