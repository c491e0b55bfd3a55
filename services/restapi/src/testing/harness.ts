import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { FairShareSettings, GpuDetails, HeartbeatLimits, Identity } from '@plz/contracts';
import { createBucket, createDatabase, startRedis, testServices } from '@plz/testkit';
import { Redis } from 'ioredis';
import { buildApp } from '../app.js';
import type { TransferOptions } from '../adapters/object-store.js';
import { createLogger, type Logger } from '../logger.js';
import { defaultFairShare, runMigrations, writeHeartbeat as writeWorkerHeartbeat } from '@plz/lifecycle';
import { generateToken } from '../services/access/tokens.js';
import { openRuntime, type Runtime } from '../runtime.js';
import type { BlobLimits, Buckets } from '../services/blobs.js';
import type { LogReaderOptions } from '../services/executions/log-reader.js';

/** An answer as tests look at it. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Options of one request: a token, and a JSON value or a raw body. */
export interface CallOptions {
  token?: string;
  json?: unknown;
  body?: Buffer | string | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
}

/** A REST API on a free port over real PostgreSQL (fresh database), Redis (own db index) and MinIO (fresh buckets). */
export interface TestApi {
  url: string;
  runtime: Runtime;
  buckets: Buckets;
  /** Redis URL of this API's own Redis server (for test code writing heartbeats or log entries). */
  redisUrl: string;
  /** A Redis client on the test API's own Redis server, closed by close(). */
  redis: Redis;
  admin: { token: string; identity: Identity };
  /** Creates a user with role `user` and returns a token of theirs. */
  user(name: string): Promise<{ token: string; identity: Identity }>;
  call(method: string, path: string, options?: CallOptions): Promise<Answer>;
  close(): Promise<void>;
}

/** Starts the API for a test file. Only small limits and transfer sizes are changed through options. */
export async function startTestApi(
  options: {
    limits?: Partial<BlobLimits>;
    transfers?: Partial<TransferOptions>;
    logs?: Partial<LogReaderOptions>;
    logger?: Logger;
    authCacheMs?: number;
    cliPackage?: string;
    fairShare?: Partial<FairShareSettings>;
  } = {},
): Promise<TestApi> {
  const services = testServices();
  const [databaseUrl, redisService, snapshots, inputs, mlflow] = await Promise.all([
    createDatabase(services.postgresUrl, 'restapi'),
    startRedis(),
    createBucket(services.s3, 'snapshots'),
    createBucket(services.s3, 'inputs'),
    createBucket(services.s3, 'mlflow'),
  ]);
  const buckets = { snapshots, inputs, mlflow };
  // A Redis server of its own: test files running at once never see each other's queues or keys.
  const redisUrl = redisService.url;
  const logger = options.logger ?? createLogger('silent');
  const runtime = openRuntime(
    {
      databaseUrl,
      redisUrl,
      s3: services.s3,
      buckets,
      limits: { snapshot: 64 * 1024 ** 2, input: 64 * 1024 ** 2, ...options.limits },
      databasePoolMax: 5,
      workerCacheMs: 0,
      ...(options.authCacheMs !== undefined ? { authCacheMs: options.authCacheMs } : {}),
      ...(options.transfers ? { transfers: options.transfers } : {}),
      ...(options.logs ? { logs: options.logs } : {}),
      ...(options.fairShare ? { fairShare: { ...defaultFairShare, ...options.fairShare } } : {}),
    },
    logger,
  );
  await runMigrations(runtime.db);
  const adminToken = generateToken();
  await runtime.services.bootstrapAdmin(adminToken);
  const adminIdentity = (await runtime.services.authenticator.identify(adminToken))!;

  const server: Server = buildApp(runtime.services, logger, options.cliPackage ? { cliPackage: options.cliPackage } : {}).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const redis = new Redis(redisUrl);

  const call = async (method: string, path: string, callOptions: CallOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...callOptions.headers };
    if (callOptions.token) headers['authorization'] = `Bearer ${callOptions.token}`;
    let body = callOptions.body;
    if (callOptions.json !== undefined) {
      body = JSON.stringify(callOptions.json);
      headers['content-type'] ??= 'application/json';
    }
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (body !== undefined) init.body = body as NonNullable<RequestInit['body']>;
    if (body instanceof ReadableStream) init.duplex = 'half';
    const response = await fetch(`${url}${path}`, init);
    const text = await response.text();
    let json: unknown;
    if (/^application\/([\w.-]+\+)?json\b/.test(response.headers.get('content-type') ?? '') && text) json = JSON.parse(text); // not x-ndjson (lines)
    return { status: response.status, headers: response.headers, text, json };
  };

  return {
    url,
    runtime,
    buckets,
    redisUrl,
    redis,
    admin: { token: adminToken, identity: adminIdentity },
    async user(name: string) {
      const user = await runtime.services.users.createUser({ name, role: 'user' });
      const { token } = await runtime.services.users.createToken(name, { name: 'test' });
      return { token, identity: { id: user.id, name: user.name, role: user.role } };
    },
    call,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
      await runtime.close();
      await redisService.stop();
    },
  };
}

/**
 * Writes a worker heartbeat as workers do (the lifecycle package's writeHeartbeat: the hash
 * `plz:workers:<id>` with a 30 s expiry and the last-seen time). The real protocol, not a stand-in.
 */
export async function writeHeartbeat(
  redis: Redis,
  heartbeat: { worker_id: string; queue: string; gpus?: string[]; execution_id?: string | null; heartbeatAt?: Date; limits?: HeartbeatLimits; gpu_details?: GpuDetails[] },
): Promise<void> {
  const now = heartbeat.heartbeatAt ?? new Date();
  await writeWorkerHeartbeat(redis, {
    worker_id: heartbeat.worker_id,
    queue: heartbeat.queue,
    gpus: heartbeat.gpus ?? [],
    execution_id: heartbeat.execution_id ?? null,
    hostname: 'test-host',
    started_at: now.toISOString(),
    heartbeat_at: now,
    limits: heartbeat.limits,
    gpu_details: heartbeat.gpu_details,
  });
}
