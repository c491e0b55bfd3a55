import type { FairShareSettings, Identity, RerunRequest } from '@plz/contracts';
import { JobQueues } from './adapters/job-queues.js';
import { ObjectStore, type S3Settings, type TransferOptions } from './adapters/object-store.js';
import { openRedis, type Redis } from './adapters/redis.js';
import { defaultFairShare, Dispatcher, memoryPressureRatio, redisMemory } from '@plz/lifecycle';
import type { Logger } from './logger.js';
import { openDatabase, pingDatabase, type Knex } from './repositories/database.js';
import { ExecutionsRepository, type HistoryRow, type StoredExecution } from './repositories/executions.js';
import { SweepsRepository } from './repositories/sweeps.js';
import { SessionsRepository } from './repositories/sessions.js';
import { TokensRepository } from './repositories/tokens.js';
import { UsersRepository } from './repositories/users.js';
import { randomBytes } from 'node:crypto';
import { Authenticator } from './services/access/authenticator.js';
import { BrowserSessions, type SessionSettings } from './services/access/sessions.js';
import { bootstrapAdmin } from './services/access/bootstrap.js';
import { UserAdmin } from './services/access/user-admin.js';
import { Blobs, type BlobLimits, type Buckets } from './services/blobs.js';
import { projectHistory } from './services/executions/history.js';
import { LogReader, type LogReaderOptions } from './services/executions/log-reader.js';
import { OutputArchive } from './services/executions/output-archive.js';
import { ExecutionQueries } from './services/executions/queries.js';
import { PriorityPolicy } from './services/executions/priorities.js';
import { QueueView } from './services/executions/queue-view.js';
import { rerun } from './services/executions/rerun.js';
import { Reconciler, type ReconcilerSettings } from './services/executions/reconciler.js';
import { Stopper } from './services/executions/stopper.js';
import { Submitter } from './services/executions/submitter.js';
import { checkReadiness, type Readiness } from './services/readiness.js';
import { Sweeps } from './services/sweeps.js';
import { WorkerDirectory } from './services/workers.js';

/** Where the REST API's dependencies are and how big things may get. */
export interface RuntimeSettings {
  databaseUrl: string;
  redisUrl: string;
  s3: S3Settings;
  buckets: Buckets;
  limits: BlobLimits;
  databasePoolMax?: number;
  transfers?: Partial<TransferOptions>;
  logs?: Partial<LogReaderOptions>;
  /** How long a read of worker heartbeats serves submissions, ms (default 1000; tests use 0). */
  workerCacheMs?: number;
  /** How long a token's or session's identity is remembered, ms (default 5000; revocations here forget at once). */
  authCacheMs?: number;
  /** Browser sessions: the cookie-signing key and their lifetime; default a random key per process and 12 h. */
  sessions?: Partial<SessionSettings>;
  /** The deployment's fair-share settings (envs/queue.env); default: defaultFairShare. */
  fairShare?: FairShareSettings;
  /** The reconciler's timing; absent: no reconciler (tests that do not need one). main.ts starts it after migrating. */
  reconciler?: ReconcilerSettings;
}

/** The use cases the routes call. */
export interface Services {
  authenticator: Authenticator;
  sessions: BrowserSessions;
  users: UserAdmin;
  blobs: Blobs;
  submitter: Submitter;
  queries: ExecutionQueries;
  stopper: Stopper;
  logs: LogReader;
  outputs: OutputArchive;
  sweeps: Sweeps;
  workers: WorkerDirectory;
  queues: QueueView;
  priorities: PriorityPolicy;
  rerun(id: string, request: RerunRequest, who: Identity): Promise<StoredExecution>;
  /** A project's history, oldest first: each execution's id and its entry as JSON text (projectHistory). */
  history(project: string): AsyncGenerator<HistoryRow>;
  readiness(): Promise<Readiness>;
  /** Ensures the first admin owns this token (BOOTSTRAP_ADMIN_TOKEN_FILE's content). */
  bootstrapAdmin(token: string): Promise<void>;
}

/** Open connections and the services built on them; `close()` releases everything. */
export interface Runtime {
  services: Services;
  db: Knex;
  redis: Redis;
  store: ObjectStore;
  /** Present when the settings ask for one; not started. */
  reconciler: Reconciler | undefined;
  close(): Promise<void>;
}

/**
 * Opens the connections (PostgreSQL pool, Redis, S3) and wires repositories, adapters and services
 * (the composition root shared by main.ts, tests and benchmarks). Connects lazily: nothing fails here
 * when a dependency is down; /ready tells.
 */
export function openRuntime(settings: RuntimeSettings, logger: Logger): Runtime {
  const db = openDatabase(settings.databaseUrl, settings.databasePoolMax);
  const redis = openRedis(settings.redisUrl);
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
  const store = new ObjectStore(settings.s3, settings.transfers);
  const queues = new JobQueues(redis);

  const usersRepository = new UsersRepository(db);
  const tokensRepository = new TokensRepository(db);
  const executions = new ExecutionsRepository(db);
  const sweepsRepository = new SweepsRepository(db);

  const blobs = new Blobs(store, settings.buckets, settings.limits, logger);
  const workers = new WorkerDirectory(redis, queues, settings.workerCacheMs);
  const fairShare = settings.fairShare ?? defaultFairShare;
  const priorities = new PriorityPolicy(usersRepository, executions, fairShare);
  const queueView = new QueueView(new Dispatcher(db, fairShare), workers, fairShare);
  const submitter = new Submitter(executions, sweepsRepository, blobs, queues, workers, priorities);
  const stopper = new Stopper(executions, queues, redis);
  const outputs = new OutputArchive(executions, store, settings.buckets.mlflow);
  const logs = new LogReader(executions, redis, store, settings.buckets.mlflow, settings.logs, (error) => logger.warn({ err: error }, 'reading followed logs'));

  const authenticator = new Authenticator(
    tokensRepository,
    new SessionsRepository(db),
    (error) => logger.warn({ err: error }, 'could not record token use'),
    settings.authCacheMs,
  );
  const sessions = new BrowserSessions(new SessionsRepository(db), authenticator, {
    secret: settings.sessions?.secret ?? randomBytes(32).toString('base64url'),
    ttlMs: settings.sessions?.ttlMs ?? 12 * 3_600_000,
  });
  const services: Services = {
    authenticator,
    sessions,
    users: new UserAdmin(usersRepository, tokensRepository, () => authenticator.forget()),
    blobs,
    submitter,
    queries: new ExecutionQueries(executions, queueView),
    stopper,
    logs,
    outputs,
    sweeps: new Sweeps(sweepsRepository, executions, submitter, stopper, outputs),
    workers,
    queues: queueView,
    priorities,
    rerun: (id, request, who) => rerun(executions, submitter, id, request, who),
    history: (project) => projectHistory(executions, project),
    readiness: () =>
      checkReadiness({
        postgres: () => pingDatabase(db),
        redis: () => redis.ping(),
        redis_memory: async () => {
          const memory = await redisMemory(redis);
          if (memory.ratio >= memoryPressureRatio) {
            throw new Error(`memory pressure: ${memory.usedBytes} of maxmemory ${memory.maxBytes} bytes used (${Math.round(memory.ratio * 100)} %, policy ${memory.policy})`);
          }
        },
        s3: () => Promise.all([store.bucketReachable(settings.buckets.snapshots), store.bucketReachable(settings.buckets.inputs)]),
      }),
    bootstrapAdmin: (token) => bootstrapAdmin(usersRepository, tokensRepository, token),
  };

  const reconciler = settings.reconciler ? new Reconciler(executions.store, queues, redis, logger, settings.reconciler) : undefined;
  return {
    services,
    db,
    redis,
    store,
    reconciler,
    async close() {
      await reconciler?.stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping the reconciler'));
      await queues.close().catch((error: unknown) => logger.warn({ err: error }, 'closing queues'));
      await logs.close();
      redis.disconnect();
      store.close();
      await db.destroy();
    },
  };
}
