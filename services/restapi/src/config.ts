import { parseByteSize } from '@plz/contracts';
import { z } from 'zod';
import { FairShareEnv } from '@plz/lifecycle';

const Port = z.coerce.number().int().min(0).max(65535);

/** A byte count from the environment: digits, or digits with a unit b, k, m, g (powers of 1024), e.g. `2g`. */
const Bytes = z
  .string()
  .regex(/^\d+(\.\d+)?\s*[bkmg]?$/i, 'expected a size such as 1073741824, 512m or 2g')
  .transform((text) => parseByteSize(text))
  .pipe(z.number().int().positive());

/** A duration: seconds as digits, or digits with a unit s, m, h or d (`12h`); parsed to milliseconds. */
const Duration = z
  .string()
  .regex(/^\d+\s*[smhd]?$/i, 'expected a duration such as 43200, 30m, 12h or 7d')
  .transform((text) => {
    const amount = Number(/^\d+/.exec(text)![0]);
    const unit = (/[smhd]$/i.exec(text)?.[0] ?? 's').toLowerCase();
    return amount * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 's' | 'm' | 'h' | 'd'];
  });

/** Settings of the REST API, read once from the environment at start-up (STYLE.md, Services). */
export const ConfigSchema = z.object({
  PORT: Port.default(8080),
  DATABASE_URL: z.string().url(),
  REDIS_URL: z.string().url(),
  S3_ENDPOINT: z.string().url(),
  S3_ACCESS_KEY_ID: z.string().min(1),
  S3_SECRET_ACCESS_KEY: z.string().min(1),
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** The MLflow tracking server (reported by /ready as configured; artifacts are read from MinIO directly). */
  MLFLOW_URL: z.string().url().optional(),
  /** File holding the first admin's API token (written by init-deployment.sh); unset: no bootstrap. */
  BOOTSTRAP_ADMIN_TOKEN_FILE: z.string().min(1).optional(),
  /** File holding the key that signs browser session cookies (init-deployment.sh writes it); unset: a random key per process (sessions end at restart). */
  SESSION_SECRET_FILE: z.string().min(1).optional(),
  /** How long a browser login lasts (default 12 h), ms once parsed. */
  SESSION_TTL: Duration.pipe(z.number().int().positive()).default(12 * 3_600_000),
  /** How long a token's or session's check is remembered, s: a revoked token or disabled user works at most this long on another replica. */
  AUTH_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  /** The CLI package served at /downloads/plz.tgz (built into the image); unset or missing: 404. */
  CLI_PACKAGE_FILE: z.string().min(1).optional(),
  /** Largest code snapshot accepted by `PUT /api/v1/snapshots/{sha256}`. */
  MAX_SNAPSHOT_BYTES: Bytes.default(1024 ** 3),
  /** Largest input accepted by `PUT /api/v1/inputs/{sha256}`. */
  MAX_INPUT_BYTES: Bytes.default(20 * 1024 ** 3),
  /** Seconds between passes of the reconciler (queued rows without a queue job, executions of gone workers). */
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /**
   * Seconds a worker may send no heartbeat before its running or harvesting executions end in
   * `error` (until then, the worker resumes them when it comes back).
   */
  WORKER_LOST_SECONDS: z.coerce.number().int().min(60).max(7 * 86_400).default(900),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}).extend(FairShareEnv.shape);
export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/**
 * Parses and freezes the configuration. Empty strings count as unset (compose writes `VAR=` for
 * optional settings left blank).
 *
 * @param env usually `process.env`.
 * @throws Error listing every missing or invalid variable, one per line.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid configuration:\n${problems.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}

/** The configuration of this process (the only read of `process.env` in the service). @throws as loadConfig. */
export function configFromEnvironment(): Config {
  return loadConfig(process.env);
}
