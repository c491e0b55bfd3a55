/**
 * Test bed of the worker's integration tests: REAL services (PostgreSQL, MinIO and MLflow from the
 * Jest global setup, a Redis of its own per test file so that queues never mix, the Docker engine),
 * and helpers that drive the worker through the real protocol: insert the execution row and enqueue
 * the BullMQ job as the REST API does, publish stop requests, read the state, the live log and MLflow.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import tar from 'tar-stream';
import { buckets, inputObjectKey, isTerminal, jobImageTag, labels, logStreamKey, snapshotObjectKey, stopChannel, stopKey, type ExecutionState, type JobPayload, type JobSpec } from '@plz/contracts';
import { MlflowClient } from '@plz/mlflow-client';
import { ExecutionStore, runMigrations } from '@plz/lifecycle';
import { createDatabase, startRedis, testServices, type RedisService } from '@plz/testkit';
import { enqueueExecution } from '../adapters/queue/producer.js';
import { ObjectStore } from '../adapters/s3/objects.js';
import { startWorker, type RunningWorker } from '../app.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { openDatabase } from '../repositories/database.js';
import type { WorkerSettings } from '../settings.js';

const run = promisify(execFile);
/** Debian's client, which matches the engine (another, newer one may be earlier on PATH). */
export const dockerCli = '/usr/bin/docker';
export const testLabel = 'org.plz.test-run';

/** Settings that make tests quick: frequent polls, a short stop grace period. */
export const fastSettings: Partial<WorkerSettings> = { measuresPollMs: 300, stopCheckMs: 300, stopGraceSeconds: 3 };

/** A tar (gzipped when asked) of `files` (path → content). */
export async function tarOf(files: Record<string, string>, gzip: boolean): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(pack)) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  return gzip ? gzipSync(bytes) : bytes;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export interface Submission {
  snapshot: string;
  parameters?: Record<string, unknown>;
  input?: JobSpec['input'];
  maxRunSeconds?: number;
  /** The request's resources (default `{ gpus: 0 }`: the worker's default limits). */
  resources?: JobSpec['resources'];
  name?: string;
  /** false: only the row is recorded (the test enqueues a job of its own). */
  enqueue?: boolean;
  /** Whose execution it is (default: the bed's user). */
  userId?: string;
}

export type TestBed = Awaited<ReturnType<typeof createTestBed>>;

/** Creates the test bed: a database with the schema, a Redis, the buckets, a jobs network. */
export async function createTestBed(prefix: string) {
  const services = testServices();
  const runId = `${prefix}-${randomUUID().slice(0, 8)}`;
  const databaseUrl = await createDatabase(services.postgresUrl, `worker_${prefix}`);
  const db = openDatabase(databaseUrl);
  await runMigrations(db);
  const [user] = (await db('users').insert({ name: `user-${runId}`, role: 'user' }).returning(['id', 'name'])) as Array<{ id: string; name: string }>;
  const redisService: RedisService = await startRedis();
  const redis = new Redis(redisService.url, { maxRetriesPerRequest: null });
  const objects = new ObjectStore(services.s3);
  await objects.ensureBucket(buckets.snapshots);
  await objects.ensureBucket(buckets.inputs);
  const mlflow = new MlflowClient({ baseUrl: services.mlflowUrl });
  const network = `plz-test-jobs-${runId}`;
  await run(dockerCli, ['network', 'create', '--label', `${testLabel}=${runId}`, '-o', 'com.docker.network.bridge.enable_icc=false', network]);
  const scratch = mkdtempSync(path.join(tmpdir(), `plz-worker-test-${prefix}-`));
  const workers = new Set<RunningWorker>();
  const workerIds = new Set<string>();
  const snapshots = new Set<string>();

  const bed = {
    runId,
    db,
    redis,
    objects,
    mlflow,
    network,
    scratch,
    user: user!,

    /** The environment a deployment would give a CPU worker named `workerId`. */
    env(workerId: string, extra: Record<string, string> = {}): Record<string, string> {
      workerIds.add(workerId);
      return {
        WORKER_ID: workerId,
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisService.url,
        S3_ENDPOINT: services.s3.endpoint,
        S3_ACCESS_KEY_ID: services.s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: services.s3.secretAccessKey,
        S3_REGION: services.s3.region,
        MLFLOW_URL: services.mlflowUrl,
        HEARTBEAT_FILE: path.join(scratch, `${workerId}.heartbeat`),
        JOBS_NETWORK: network,
        LOG_LEVEL: 'error',
        ...extra,
      };
    },

    /** Starts a worker in this process. */
    async startWorker(workerId: string, extraEnv: Record<string, string> = {}, settings: Partial<WorkerSettings> = {}): Promise<RunningWorker> {
      const config = loadConfig(bed.env(workerId, extraEnv));
      const worker = await startWorker(config, createLogger(config.LOG_LEVEL, workerId), {
        ...fastSettings,
        extraLabels: { [testLabel]: runId },
        logDirectory: path.join(scratch, 'logs'),
        ...settings,
      });
      workers.add(worker);
      return {
        recovered: worker.recovered,
        close: async () => {
          workers.delete(worker);
          await worker.close();
        },
      };
    },

    /** Uploads a snapshot (tar.gz with a Dockerfile at its root) and returns its sha256. */
    async snapshot(files: Record<string, string>): Promise<string> {
      const bytes = await tarOf(files, true);
      const hash = sha256(bytes);
      await objects.write(buckets.snapshots, snapshotObjectKey(hash), bytes);
      snapshots.add(hash);
      return hash;
    },

    /** Uploads an input (tar) and returns its sha256. */
    async input(files: Record<string, string>): Promise<string> {
      const bytes = await tarOf(files, false);
      const hash = sha256(bytes);
      await objects.write(buckets.inputs, inputObjectKey(hash), bytes);
      return hash;
    },

    /** Records an execution (state queued) and enqueues its job (the execution id) on the cpu queue, as the REST API does. */
    async submit(submission: Submission): Promise<{ id: string; payload: JobPayload }> {
      const id = randomUUID();
      await new ExecutionStore(db).insert([
        {
          id,
          project: `project-${prefix}`,
          name: submission.name ?? null,
          tags: [],
          user_id: submission.userId ?? user!.id,
          queue: 'cpu',
          snapshot: submission.snapshot,
          input: submission.input ?? null,
          parameters: submission.parameters ?? {},
          resources: submission.resources ?? { gpus: 0 },
          max_run_seconds: submission.maxRunSeconds ?? null,
          sweep_id: null,
          rerun_of: null,
        },
      ]);
      const payload: JobPayload = { execution_id: id };
      if (submission.enqueue !== false) {
        await enqueueExecution(redis, 'cpu', payload);
      }
      return { id, payload };
    },

    /** The job payload of an execution submitted here. */
    async submitPayload(id: string): Promise<JobPayload> {
      return { execution_id: id };
    },

    /** Enqueues raw job data (for invalid payloads). */
    async enqueueRaw(data: Record<string, unknown>): Promise<void> {
      await enqueueExecution(redis, 'cpu', data);
    },

    /** The execution's row. */
    async row(id: string): Promise<Record<string, unknown>> {
      return (await db('executions').where({ id }).first()) as Record<string, unknown>;
    },

    /** Waits until the execution is in one of `states` (default: any terminal state). */
    async waitForState(id: string, states?: string[], timeoutMs = 120_000): Promise<Record<string, unknown>> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const row = await bed.row(id);
        const state = row['state'] as ExecutionState;
        if (states ? states.includes(state) : isTerminal(state)) return row;
        if (Date.now() > deadline) throw new Error(`execution ${id} is still ${state} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },

    /** The live log's entries (field maps), oldest first. */
    async logEntries(id: string): Promise<Array<Record<string, string>>> {
      const entries = await redis.xrange(logStreamKey(id), '-', '+');
      return entries.map(([, fields]) => Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i]!, fields[2 * i + 1]!])));
    },

    /** Waits until a live log line contains `text`. */
    async waitForLine(id: string, text: string, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!(await bed.logEntries(id)).some((entry) => entry['line']?.includes(text))) {
        if (Date.now() > deadline) throw new Error(`no log line with "${text}" after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },

    /** Asks to stop an execution as the REST API does (key with a TTL, then a message). */
    async requestStop(id: string): Promise<void> {
      await redis.set(stopKey(id), '1', 'EX', 86_400);
      await redis.publish(stopChannel, id);
    },

    /** Docker containers labelled with this worker id. */
    async containersOf(workerId: string): Promise<string[]> {
      const { stdout } = await run(dockerCli, ['ps', '-aq', '--filter', `label=${labels.worker}=${workerId}`]);
      return stdout.split('\n').filter(Boolean);
    },

    /** A folder with copies of this machine's extra CA certificates, for EXTRA_CA_CERTIFICATES_DIR. */
    caCertificatesDir(): string {
      const dir = mkdtempSync(path.join(scratch, 'ca-certificates-'));
      const source = '/usr/local/share/ca-certificates';
      const names = existsSync(source) ? readdirSync(source).filter((name) => name.endsWith('.crt')) : [];
      for (const name of names) copyFileSync(path.join(source, name), path.join(dir, name));
      return dir;
    },

    /** Stops workers, removes the containers, images and network made here, closes connections. */
    async close(): Promise<void> {
      for (const worker of [...workers]) await worker.close().catch(() => undefined);
      for (const workerId of workerIds) {
        const ids = await bed.containersOf(workerId).catch(() => []);
        if (ids.length) await run(dockerCli, ['rm', '-f', ...ids]).catch(() => undefined);
      }
      const { stdout } = await run(dockerCli, ['ps', '-aq', '--filter', `label=${testLabel}=${runId}`]).catch(() => ({ stdout: '' }));
      const leftovers = stdout.split('\n').filter(Boolean);
      if (leftovers.length) await run(dockerCli, ['rm', '-f', ...leftovers]).catch(() => undefined);
      for (const hash of snapshots) await run(dockerCli, ['rmi', '-f', jobImageTag(hash)]).catch(() => undefined);
      await run(dockerCli, ['network', 'rm', network]).catch(() => undefined);
      redis.disconnect();
      await redisService.stop();
      objects.destroy();
      await db.destroy();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
  return bed;
}
