import { startMinio, type S3Settings } from './minio.js';
import { startMlflow } from './mlflow.js';
import { startPostgres } from './postgres.js';
import { startRedis } from './redis.js';

/** Connection settings of the services shared by one test run (set by the Jest global setup). */
export interface TestServices {
  /** Superuser URL of the PostgreSQL server: create a database per test file with `createDatabase`. */
  postgresUrl: string;
  redisUrl: string;
  s3: S3Settings;
  mlflowUrl: string;
}

export const serviceNames = ['postgres', 'redis', 'minio', 'mlflow'] as const;
export type ServiceName = (typeof serviceNames)[number];

const ENV = {
  postgres: 'PLZ_TEST_POSTGRES_URL',
  redis: 'PLZ_TEST_REDIS_URL',
  minio: 'PLZ_TEST_S3',
  mlflow: 'PLZ_TEST_MLFLOW_URL',
} as const satisfies Record<ServiceName, string>;

/**
 * Reads the shared services' settings from the environment, when each is first used.
 *
 * @throws Error naming the missing variable: the Jest global setup starts every service unless
 *   `PLZ_TEST_SERVICES` leaves it out.
 */
export function testServices(): TestServices {
  const get = (name: ServiceName): string => {
    const value = process.env[ENV[name]];
    if (!value) {
      throw new Error(`${ENV[name]} is not set: ${name} was not started for this run (see PLZ_TEST_SERVICES in tools/testkit).`);
    }
    return value;
  };
  // Getters: a test that needs only PostgreSQL runs when only PostgreSQL was started.
  return {
    get postgresUrl() {
      return get('postgres');
    },
    get redisUrl() {
      return get('redis');
    },
    get s3() {
      return JSON.parse(get('minio')) as S3Settings;
    },
    get mlflowUrl() {
      return get('mlflow');
    },
  };
}

/** Handles of started services, stopped in reverse order. */
export type Stoppers = Array<() => Promise<void>>;

/**
 * Starts the services named in `wanted` that the environment does not already provide, and sets
 * their variables in `process.env` (inherited by Jest's workers). Services given from outside
 * (variables already set) are reused and never stopped.
 */
export async function startTestServices(wanted: ReadonlySet<ServiceName>): Promise<Stoppers> {
  const stoppers: Stoppers = [];
  const env = process.env;
  try {
    if ((wanted.has('postgres') || wanted.has('mlflow')) && !env[ENV.postgres]) {
      const postgres = await startPostgres();
      stoppers.push(postgres.stop);
      env[ENV.postgres] = postgres.url;
    }
    const [redis, minio] = await Promise.all([
      (wanted.has('redis') && !env[ENV.redis]) ? startRedis() : undefined,
      ((wanted.has('minio') || wanted.has('mlflow')) && !env[ENV.minio]) ? startMinio() : undefined,
    ]);
    if (redis) {
      stoppers.push(redis.stop);
      env[ENV.redis] = redis.url;
    }
    if (minio) {
      stoppers.push(minio.stop);
      const { stop: _stop, ...settings } = minio;
      env[ENV.minio] = JSON.stringify(settings);
    }
    if (wanted.has('mlflow') && !env[ENV.mlflow]) {
      const mlflow = await startMlflow(env[ENV.postgres]!, JSON.parse(env[ENV.minio]!) as S3Settings);
      stoppers.push(mlflow.stop);
      env[ENV.mlflow] = mlflow.url;
    }
  } catch (error) {
    await stopAll(stoppers);
    throw error;
  }
  return stoppers;
}

/** Stops services in reverse start order, ignoring ones already gone. */
export async function stopAll(stoppers: Stoppers): Promise<void> {
  for (const stop of [...stoppers].reverse()) await stop().catch(() => undefined);
}

/** Parses `PLZ_TEST_SERVICES` (comma list, `none`, or unset for all four). */
export function wantedServices(value = process.env['PLZ_TEST_SERVICES']): Set<ServiceName> {
  if (value === undefined || value.trim() === '' || value === 'all') return new Set(serviceNames);
  if (value === 'none') return new Set();
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(serviceNames as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`PLZ_TEST_SERVICES: unknown service(s) ${unknown.join(', ')}; known: ${serviceNames.join(', ')}, all, none`);
  return new Set(names as ServiceName[]);
}
