// Shared by the worker benchmarks of this folder (worker-latency.mjs, input-cache.mjs): the
// services, the job image's snapshot and the queue a worker started in-process needs.
import { Buffer } from 'node:buffer';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import knex from 'knex';
import tar from 'tar-stream';
import { bullPrefix, isTerminal, jobImageTag } from '@plz/contracts';
import { runMigrations } from '@plz/restapi';
import { createDatabase, s3Client } from '@plz/testkit';
import { createLogger, loadConfig, startWorker } from '@plz/worker';

export const docker = '/usr/bin/docker';
export const run = promisify(execFile);

/** A gzipped snapshot holding only `Dockerfile` with this text (the job image, built once, then cached). */
export const dockerfileSnapshot = async (dockerfile) => {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  pack.finalize();
  const chunks = [];
  for await (const chunk of Readable.from(pack)) chunks.push(chunk);
  return gzipSync(Buffer.concat(chunks));
};

/**
 * Prepares what an in-process worker needs against the testkit's services (PLZ_TEST_* variables,
 * set by startTestServices): database `database` migrated with a bench user, the snapshot and input
 * buckets with `snapshot` (gzipped tar bytes) stored under its sha256, a jobs network of its own,
 * and a BullMQ `cpu` queue on Redis database `redisDb` (apart from anything else on the server).
 * Every resource's removal is pushed onto `cleanups` (run them in reverse order).
 *
 * @returns `{ db, user, sha, image, network, redis, queue, startBenchWorker(workerId, scratch, extra), waitForEnd(id, pollMs) }`:
 *   `startBenchWorker` starts a worker with production settings (extra environment merged last);
 *   `waitForEnd` polls the execution's row until it is terminal and throws unless it succeeded.
 */
export async function openWorkerBench({ benchId, database, redisDb, snapshot, cleanups }) {
  const databaseUrl = await createDatabase(process.env.PLZ_TEST_POSTGRES_URL, database);
  const db = knex({ client: 'pg', connection: databaseUrl });
  cleanups.push(() => db.destroy());
  await runMigrations(db);
  const [user] = await db('users').insert({ name: `bench-${benchId}`, role: 'user' }).returning(['id', 'name']);
  const s3Settings = JSON.parse(process.env.PLZ_TEST_S3);
  const s3 = s3Client(s3Settings);
  cleanups.push(() => s3.destroy());
  for (const bucket of ['plz-snapshots', 'plz-inputs']) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error) => {
      if (error.name !== 'BucketAlreadyOwnedByYou') throw error;
    });
  }
  const sha = createHash('sha256').update(snapshot).digest('hex');
  await s3.send(new PutObjectCommand({ Bucket: 'plz-snapshots', Key: `${sha}.tar.gz`, Body: snapshot }));
  const image = jobImageTag(sha);
  const network = `plz-bench-jobs-${benchId}`;
  await run(docker, ['network', 'create', '-o', 'com.docker.network.bridge.enable_icc=false', network]);
  cleanups.push(() => run(docker, ['network', 'rm', network]).catch(() => undefined));
  cleanups.push(() => run(docker, ['rmi', '-f', image]).catch(() => undefined));

  const redisUrl = `${process.env.PLZ_TEST_REDIS_URL}/${redisDb}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  cleanups.push(() => redis.disconnect());
  const queue = new Queue('cpu', { connection: redis, prefix: bullPrefix });
  cleanups.push(() => queue.close());

  const startBenchWorker = (workerId, scratch, extra = {}) => {
    const config = loadConfig({
      WORKER_ID: workerId,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      S3_ENDPOINT: s3Settings.endpoint,
      S3_ACCESS_KEY_ID: s3Settings.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3Settings.secretAccessKey,
      S3_REGION: s3Settings.region,
      MLFLOW_URL: process.env.PLZ_TEST_MLFLOW_URL,
      HEARTBEAT_FILE: path.join(scratch, `${workerId}.heartbeat`),
      JOBS_NETWORK: network,
      LOG_LEVEL: 'warn',
      ...extra,
    });
    return startWorker(config, createLogger(config.LOG_LEVEL, workerId), { extraLabels: { 'org.plz.bench': benchId } });
  };

  const waitForEnd = async (id, pollMs) => {
    for (;;) {
      const row = await db('executions').where({ id }).first('state', 'error');
      if (isTerminal(row.state)) {
        if (row.state !== 'succeeded') throw new Error(`execution ${id} ended ${row.state}: ${row.error}`);
        return;
      }
      await sleep(pollMs);
    }
  };

  return { db, user, sha, image, network, redis, queue, startBenchWorker, waitForEnd };
}
