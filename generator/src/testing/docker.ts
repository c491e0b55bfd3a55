import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's docker client, which matches the engine on plz's machines (another may come first on PATH). */
export const dockerBinary = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/** PATH with the tools' shims first, so that compose finds the same docker client for builds. */
export function toolsPath(): string {
  return `${process.env['PLZ_TOOLS_DIR'] ?? '/opt/plz-tools'}/shims:${process.env['PATH'] ?? ''}`;
}

/**
 * Dummy values for every variable a deployment's compose file requires from .env, so that
 * `docker compose config` can run on a freshly generated (not initialised) deployment.
 */
export const dummySecrets: Readonly<Record<string, string>> = {
  POSTGRES_PASSWORD: 'dummy-postgres',
  RESTAPI_DB_PASSWORD: 'dummy-restapi-db',
  WORKER_DB_PASSWORD: 'dummy-worker-db',
  MLFLOW_DB_PASSWORD: 'dummy-mlflow-db',
  REDIS_PASSWORD: 'dummy-redis',
  MINIO_ROOT_USER: 'dummy-root',
  MINIO_ROOT_PASSWORD: 'dummy-minio-root',
  RESTAPI_S3_SECRET_KEY: 'dummy-restapi-s3',
  WORKER_S3_SECRET_KEY: 'dummy-worker-s3',
  MLFLOW_S3_SECRET_KEY: 'dummy-mlflow-s3',
  PLZ_ADMIN_TOKEN: 'dummy-token',
  PLZ_SESSION_SECRET: 'dummy-session-secret',
  DOCKER_SOCKET_GID: '999',
};

/**
 * Runs `docker ARGS` with the tools' PATH and the extra environment.
 *
 * @returns stdout and stderr; rejects with both in the message when docker fails.
 */
export async function docker(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    const result = await run(dockerBinary, args, {
      cwd: options.cwd,
      env: { ...process.env, PATH: toolsPath(), ...options.env },
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    return { stdout: result.stdout, stderr: result.stderr };
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`docker ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** `docker compose ARGS` in a deployment folder, with the dummy secrets (or `env`) in the environment. */
export function compose(directory: string, args: string[], env: Record<string, string> = dummySecrets): Promise<{ stdout: string; stderr: string }> {
  return docker(['compose', ...args], { cwd: directory, env });
}
