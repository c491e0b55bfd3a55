/**
 * A plz stack for the CLI's integration tests: the REAL REST API (in this process, on a loopback
 * port) and a REAL CPU worker (in this process, running jobs in containers on the Docker engine),
 * over the real PostgreSQL, MinIO and MLflow of the Jest global setup and a Redis of its own (so
 * no other test file's worker takes these jobs). The CLI itself runs as a child process, as users
 * run it: `node cli/dist/index.js` (so `npx tsc --build` must have run).
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buckets } from '@plz/contracts';
import { buildApp, createLogger, generateToken, openRuntime, runMigrations, type Runtime } from '@plz/restapi';
import { createDatabase, ensureBucket, startRedis, testServices, type RedisService } from '@plz/testkit';
import { loadConfig as loadWorkerConfig, startWorker, type RunningWorker } from '@plz/worker';

const run = promisify(execFile);
const cliEntry = fileURLToPath(new URL('../../../cli/dist/index.js', import.meta.url));
const dockerCli = '/usr/bin/docker';

/** What one `plz` invocation printed and how it exited. */
export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface Stack {
  url: string;
  /** The bootstrap admin's token. */
  token: string;
  /** `$HOME` of every `plz` run (its user configuration is `home/.config/plz/plz.config.json`). */
  home: string;
  /**
   * Runs `plz ARGS` in `cwd` with this stack's URL and token in the environment; `env` adds
   * variables or, set to undefined, removes them (PLZ_URL, PLZ_TOKEN).
   */
  plz(cwd: string, args: string[], options?: { timeoutMs?: number; env?: Record<string, string | undefined>; input?: string }): Promise<CliResult>;
  /**
   * Stops the REST API's HTTP server (cutting every open connection, as a restart does), waits
   * `pauseMs`, and listens again on the same port with a fresh app over the same runtime.
   */
  restartApi(pauseMs: number): Promise<void>;
  /** The REST API's runtime (its database, for tests that store many rows at once). */
  runtime: Runtime;
  /** A fresh project folder with `files` (path → content). */
  project(files: Record<string, string>): string;
  close(): Promise<void>;
}

async function ensureBuckets(): Promise<void> {
  for (const bucket of [buckets.snapshots, buckets.inputs, buckets.mlflow]) await ensureBucket(testServices().s3, bucket);
}

/**
 * Starts the REST API and one CPU worker; `close()` stops both and removes what they made.
 * `worker: false` starts the REST API alone (for commands that run no job: no Docker needed).
 */
export async function startStack(options: { worker?: boolean } = {}): Promise<Stack> {
  const services = testServices();
  const runId = randomUUID().slice(0, 8);
  const [databaseUrl, redis] = await Promise.all([createDatabase(services.postgresUrl, 'cli'), startRedis(), ensureBuckets()]);
  const logger = createLogger('silent');
  const runtime: Runtime = openRuntime(
    { databaseUrl, redisUrl: redis.url, s3: services.s3, buckets: { ...buckets }, limits: { snapshot: 256 * 1024 ** 2, input: 256 * 1024 ** 2 }, databasePoolMax: 5, workerCacheMs: 0 },
    logger,
  );
  await runMigrations(runtime.db);
  const token = generateToken();
  await runtime.services.bootstrapAdmin(token);
  let server: Server = buildApp(runtime.services, logger).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const withWorker = options.worker ?? true;
  const network = withWorker ? `plz-cli-test-jobs-${runId}` : undefined;
  if (network) await run(dockerCli, ['network', 'create', '--label', `org.plz.test-run=${runId}`, '-o', 'com.docker.network.bridge.enable_icc=false', network]);
  const home = mkdtempSync(path.join(tmpdir(), 'plz-cli-home-'));
  const workerId = `cli-test-${runId}`;
  let worker: RunningWorker | undefined;
  try {
    if (network) worker = await startWorker(
      loadWorkerConfig({
        WORKER_ID: workerId,
        DATABASE_URL: databaseUrl,
        REDIS_URL: redis.url,
        S3_ENDPOINT: services.s3.endpoint,
        S3_ACCESS_KEY_ID: services.s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: services.s3.secretAccessKey,
        S3_REGION: services.s3.region,
        MLFLOW_URL: services.mlflowUrl,
        HEARTBEAT_FILE: path.join(home, 'heartbeat'),
        JOBS_NETWORK: network,
        LOG_LEVEL: 'silent',
      }),
      createLogger('silent'),
      { measuresPollMs: 300, stopCheckMs: 300, stopGraceSeconds: 3 },
    );
  } catch (error) {
    await cleanup(redis, runtime, server, network, runId);
    throw error;
  }

  return {
    runtime,
    url,
    token,
    home,
    project(files) {
      const dir = mkdtempSync(path.join(tmpdir(), 'plz-cli-project-'));
      for (const [file, content] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        writeFileSync(path.join(dir, file), content);
      }
      return dir;
    },
    async restartApi(pauseMs) {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      server = buildApp(runtime.services, logger).listen(port, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    },
    plz(cwd, args, options = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [cliEntry, ...args], {
          cwd,
          env: definedOnly({ PATH: process.env['PATH'] ?? '', HOME: home, XDG_CACHE_HOME: path.join(home, 'cache'), PLZ_URL: url, PLZ_TOKEN: token, ...options.env }),
          stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        });
        if (options.input !== undefined) child.stdin?.end(options.input);
        let stdout = '';
        let stderr = '';
        child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ status: code ?? (signal ? 128 : 1), stdout, stderr });
        });
      });
    },
    async close() {
      await worker?.close().catch(() => undefined);
      await cleanup(redis, runtime, server, network, runId);
    },
  };
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

async function cleanup(redis: RedisService, runtime: Runtime, server: Server, network: string | undefined, runId: string): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await runtime.close();
  await redis.stop();
  if (!network) return;
  const { stdout } = await run(dockerCli, ['ps', '-aq', '--filter', `network=${network}`]).catch(() => ({ stdout: '' }));
  const containers = stdout.split('\n').filter(Boolean);
  if (containers.length) await run(dockerCli, ['rm', '-f', ...containers]).catch(() => undefined);
  await run(dockerCli, ['network', 'rm', network]).catch(() => undefined);
  void runId;
}
