import { fairShareSettings } from '@plz/lifecycle';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { buckets } from '@plz/contracts';
import { buildApp } from './app.js';
import { configFromEnvironment, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { runMigrations } from '@plz/lifecycle';
import { openRuntime, type RuntimeSettings } from './runtime.js';

/** How long in-flight requests get to finish after SIGTERM before connections are cut, ms. */
const shutdownGraceMs = 10_000;

/**
 * Runtime settings of a deployment from its configuration (buckets are the deployment's fixed
 * names, keys.ts) and the session-signing key read from SESSION_SECRET_FILE (undefined: a random
 * key of this process).
 */
export function runtimeSettings(config: Config, sessionSecret?: string): RuntimeSettings {
  return {
    authCacheMs: config.AUTH_CACHE_SECONDS * 1000,
    sessions: { ttlMs: config.SESSION_TTL, ...(sessionSecret ? { secret: sessionSecret } : {}) },
    databaseUrl: config.DATABASE_URL,
    redisUrl: config.REDIS_URL,
    s3: { endpoint: config.S3_ENDPOINT, accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY, region: config.S3_REGION },
    buckets: { ...buckets },
    limits: { snapshot: config.MAX_SNAPSHOT_BYTES, input: config.MAX_INPUT_BYTES },
    fairShare: fairShareSettings(config),
    reconciler: {
      intervalSeconds: config.RECONCILE_INTERVAL_SECONDS,
      queuedGraceSeconds: Math.max(60, 2 * config.RECONCILE_INTERVAL_SECONDS),
      preparingLostSeconds: 60,
      workerLostSeconds: config.WORKER_LOST_SECONDS,
    },
  };
}

/** Reads a secret from its file (trimmed). @throws Error naming the setting when the file is unreadable or empty. */
async function readSecretFile(setting: string, file: string): Promise<string> {
  const secret = (await readFile(file, 'utf8')).trim();
  if (!secret) throw new Error(`${setting} ${file} is empty`);
  return secret;
}

/**
 * Starts the REST API: parses the configuration, migrates the database (safe with several
 * replicas), ensures the bootstrap admin, listens on PORT, and on SIGTERM/SIGINT stops accepting
 * connections, lets requests finish (up to 10 s) and closes every connection.
 */
export async function main(): Promise<void> {
  let logger: Logger = createLogger('info');
  let config: Config;
  try {
    config = configFromEnvironment();
  } catch (error) {
    logger.fatal((error as Error).message);
    process.exitCode = 1;
    return;
  }
  logger = createLogger(config.LOG_LEVEL);
  let sessionSecret: string | undefined;
  try {
    if (config.SESSION_SECRET_FILE) sessionSecret = await readSecretFile('SESSION_SECRET_FILE', config.SESSION_SECRET_FILE);
    else logger.warn('SESSION_SECRET_FILE is not set: browser sessions use a key of this process and end when it restarts');
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed');
    process.exitCode = 1;
    return;
  }
  let runtime: ReturnType<typeof openRuntime>;
  try {
    runtime = openRuntime(runtimeSettings(config, sessionSecret), logger);
  } catch (error) {
    // A session secret too short to sign cookies safely, for one.
    logger.fatal({ err: error }, 'start-up failed');
    process.exitCode = 1;
    return;
  }
  try {
    const applied = await runMigrations(runtime.db);
    if (applied.length) logger.info({ migrations: applied }, 'database migrated');
    runtime.reconciler?.start();
    if (config.BOOTSTRAP_ADMIN_TOKEN_FILE) {
      await runtime.services.bootstrapAdmin(await readSecretFile('BOOTSTRAP_ADMIN_TOKEN_FILE', config.BOOTSTRAP_ADMIN_TOKEN_FILE));
      logger.info('bootstrap admin ensured');
    } else {
      logger.warn('BOOTSTRAP_ADMIN_TOKEN_FILE is not set: no admin token is ensured');
    }
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed');
    await runtime.close().catch(() => undefined);
    process.exitCode = 1;
    return;
  }

  const app = buildApp(runtime.services, logger, config.CLI_PACKAGE_FILE ? { cliPackage: config.CLI_PACKAGE_FILE } : {});
  const server = app.listen(config.PORT);
  // Node ends requests still being received after 5 min by default: uploads of large inputs take
  // longer. Headers must still arrive within 60 s (headersTimeout); idle keep-alive sockets close.
  server.requestTimeout = 0;
  server.on('listening', () => logger.info({ port: (server.address() as AddressInfo).port }, 'listening'));
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'cannot listen');
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => server.closeAllConnections(), shutdownGraceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      void runtime.close().then(
        () => logger.info('stopped'),
        (error: unknown) => logger.error({ err: error }, 'error while closing'),
      );
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
