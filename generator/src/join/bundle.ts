import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { validateServerName } from '../answers/validators.js';

/**
 * The join bundle a controller writes for one worker host (`./init-deployment.sh
 * --worker-host-bundle NAME`, scripts/init/85-sync-worker-hosts.sh; ARCHITECTURE.md §7), read by
 * `yo plz-deploy --role worker --join BUNDLE`. Every field is checked: a bundle that is not one,
 * of another version, or with a field missing or malformed is refused naming the field, before
 * anything is written.
 */

/** A worker host's name, as the controller's init accepts it (scripts/lib/worker-hosts.sh). */
const WorkerHostName = z.string().regex(/^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/, 'expected 1-32 lower-case letters, digits and "-", starting with a letter');

/** A URL with the given scheme(s), a host and, when `credentials`, a user name and a password. */
const Url = (schemes: readonly string[], credentials: boolean) =>
  z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected a ${schemes.join(' or ')} URL` });
      return;
    }
    if (!schemes.includes(url.protocol.slice(0, -1))) ctx.addIssue({ code: 'custom', message: `expected ${schemes.map((scheme) => `${scheme}://`).join(' or ')} (TLS), not ${url.protocol}//` });
    if (url.hostname === '') ctx.addIssue({ code: 'custom', message: 'expected a host' });
    if (credentials && (url.username === '' || url.password === '')) ctx.addIssue({ code: 'custom', message: 'expected a user name and a password in the URL' });
    if (!credentials && (url.username !== '' || url.password !== '')) ctx.addIssue({ code: 'custom', message: 'expected no credentials in the URL' });
  });

/** A whole number within bounds (the generator's own rules for the queue answers). */
const Whole = (least: number, most: number) => z.number().int().min(least).max(most);

/** A PEM certificate (one or more `BEGIN CERTIFICATE` blocks). */
const Pem = z.string().regex(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/, 'expected a PEM certificate');

/** The join bundle, version 1 (scripts/init/85-sync-worker-hosts.sh writes it). */
export const JoinBundleSchema = z
  .object({
    kind: z.literal('plz-worker-host-bundle'),
    version: z.literal(1),
    /** The controller's deployment slug. */
    deployment: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'expected a deployment slug'),
    workerHost: WorkerHostName,
    /** The name the worker host reaches the controller by (in every URL below, and in its certificate). */
    serverName: z.string().superRefine((value, ctx) => {
      const valid = validateServerName(value);
      if (valid !== true) ctx.addIssue({ code: 'custom', message: valid });
    }),
    redis: z.object({ url: Url(['rediss'], true) }).strict(),
    postgres: z
      .object({
        url: Url(['postgres', 'postgresql'], true).refine((value) => URL.canParse(value) && new URL(value).searchParams.get('sslmode') === 'verify-full', 'expected sslmode=verify-full'),
      })
      .strict(),
    s3: z.object({ endpoint: Url(['https'], false), accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }).strict(),
    mlflow: z.object({ url: Url(['https'], false), username: z.string().min(1), password: z.string().min(1) }).strict(),
    /** The controller's envs/queue.env: every worker must share the queues by the same rules. */
    queue: z
      .object({
        fairShareWindowHours: Whole(1, 8760),
        fairShareQuantumSeconds: Whole(1, 86_400),
        maxRunningPerUser: Whole(0, 1_000_000),
        highPriorityAllowance: Whole(0, 1_000_000),
      })
      .strict(),
    caCertificate: Pem,
  })
  .strict();

export type JoinBundle = z.infer<typeof JoinBundleSchema>;

/** A bundle that could not be read or is not valid: nothing was written. */
export class JoinBundleError extends Error {
  constructor(file: string, problems: string[]) {
    super(`the join bundle ${file} is refused, nothing was written:\n${problems.map((problem) => `  - ${problem}`).join('\n')}\nWrite it again on the controller with ./init-deployment.sh --worker-host-bundle NAME (DEPLOYMENT.md, "Worker hosts").`);
    this.name = 'JoinBundleError';
  }
}

/**
 * Reads and validates a join bundle (JSON, JoinBundleSchema).
 *
 * @param file the bundle's path.
 * @throws JoinBundleError naming the file and every problem (`redis.url: expected rediss:// ...`);
 *   never quoting a field's value, which may be a secret.
 */
export function readJoinBundle(file: string): JoinBundle {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new JoinBundleError(file, [`cannot read it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new JoinBundleError(file, ['it is not JSON']);
  }
  const parsed = JoinBundleSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  throw new JoinBundleError(
    file,
    // zod's messages name what was expected, never the value found (which may be a secret)
    parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'the bundle'}: ${issue.message}`),
  );
}

/** What the worker host keeps of the bundle in .yo-rc.json (key `controller`): nothing secret. */
export const JoinedControllerSchema = z
  .object({
    deployment: z.string(),
    workerHost: WorkerHostName,
    serverName: z.string(),
    /** `https://host:port`, no credentials. */
    s3Endpoint: z.string(),
    s3AccessKeyId: z.string(),
    /** `https://host:port/mlflow`, no credentials. */
    mlflowUrl: z.string(),
    mlflowUsername: z.string(),
    /** Host:port of Redis's and PostgreSQL's TLS ports (for messages and DEPLOYMENT.md). */
    redisAddress: z.string(),
    postgresAddress: z.string(),
  })
  .strict();

export type JoinedController = z.infer<typeof JoinedControllerSchema>;

/** The worker host's secrets from the bundle: secrets/controller.env, mode 0600, never committed. */
export interface ControllerSecrets {
  REDIS_URL: string;
  DATABASE_URL: string;
  S3_SECRET_ACCESS_KEY: string;
  MLFLOW_TRACKING_PASSWORD: string;
}

/** Splits a bundle into what may be stored (`controller`) and what may not (`secrets`). */
export function splitBundle(bundle: JoinBundle): { controller: JoinedController; secrets: ControllerSecrets } {
  const address = (value: string): string => new URL(value).host;
  return {
    controller: {
      deployment: bundle.deployment,
      workerHost: bundle.workerHost,
      serverName: bundle.serverName,
      s3Endpoint: bundle.s3.endpoint.replace(/\/+$/, ''),
      s3AccessKeyId: bundle.s3.accessKeyId,
      mlflowUrl: bundle.mlflow.url.replace(/\/+$/, ''),
      mlflowUsername: bundle.mlflow.username,
      redisAddress: address(bundle.redis.url),
      postgresAddress: address(bundle.postgres.url),
    },
    secrets: {
      REDIS_URL: bundle.redis.url,
      DATABASE_URL: bundle.postgres.url,
      S3_SECRET_ACCESS_KEY: bundle.s3.secretAccessKey,
      MLFLOW_TRACKING_PASSWORD: bundle.mlflow.password,
    },
  };
}

/** secrets/controller.env's content: KEY=VALUE lines compose reads (env_file), with a header. */
export function controllerSecretsFile(secrets: ControllerSecrets, workerHost: string): string {
  const lines = Object.entries(secrets).map(([key, value]) => `${key}=${value}`);
  return [
    `# Credentials of worker host ${workerHost} on its controller, from its join bundle (yo plz-deploy --join):`,
    '# never commit or share this file. The controller revokes them with ./init-deployment.sh --revoke-worker-host.',
    ...lines,
    '',
  ].join('\n');
}
