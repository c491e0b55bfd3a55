#!/usr/bin/env node
// Worker latency benchmark: time from submitting an execution (row inserted and BullMQ job added,
// as the REST API does) to the job's first log line in the live log (Redis stream), with a cached
// job image, against a plain `docker run` of the same image; both in the same run, alternating.
//
//   npx tsc --build && node tools/bench/worker-latency.mjs [--runs 10] [--strict]
//
// Starts PostgreSQL, Redis, MinIO and MLflow with the built testkit (tools/testkit/dist) unless
// PLZ_TEST_* variables already point at running ones; uses the real Docker engine (/usr/bin/docker)
// and the local image python:3.11-slim-bookworm. Prints median and p90 of both and the overhead of
// plz (difference of the medians); the target is a median overhead under 1 s (--strict: exit 1 if not).
import { Buffer } from 'node:buffer';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import knex from 'knex';
import tar from 'tar-stream';
import { bullPrefix, executionJobName, isTerminal, jobImageTag, logStreamKey } from '@plz/contracts';
import { runMigrations } from '@plz/restapi';
import { createDatabase, s3Client, startTestServices, stopAll } from '@plz/testkit';
import { createLogger, loadConfig, startWorker } from '@plz/worker';
import { quantile } from './quantile.mjs';

const TARGET_OVERHEAD_MS = 1000;
const docker = '/usr/bin/docker';
const run = promisify(execFile);
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '10' }, strict: { type: 'boolean', default: false } } });
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${args.runs}`);
const log = (line) => process.stdout.write(`${line}\n`);

const ms = (value) => `${Math.round(value)} ms`;

/** A snapshot whose job prints one line at once (the image is built once, then cached). */
const snapshotBytes = async (tag) => {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, `# ${tag}\nFROM python:3.11-slim-bookworm\nCMD ["python", "-c", "print('first line', flush=True)"]\n`);
  pack.finalize();
  const chunks = [];
  for await (const chunk of Readable.from(pack)) chunks.push(chunk);
  return gzipSync(Buffer.concat(chunks));
};

const stoppers = await startTestServices(new Set(['postgres', 'redis', 'minio', 'mlflow']));
const benchId = `bench-${randomUUID().slice(0, 8)}`;
const network = `plz-bench-jobs-${benchId}`;
const cleanups = [];
let exitCode = 0;
try {
  const databaseUrl = await createDatabase(process.env.PLZ_TEST_POSTGRES_URL, 'worker_bench');
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
  const snapshot = await snapshotBytes(benchId);
  const sha = createHash('sha256').update(snapshot).digest('hex');
  await s3.send(new PutObjectCommand({ Bucket: 'plz-snapshots', Key: `${sha}.tar.gz`, Body: snapshot }));
  const image = jobImageTag(sha);
  await run(docker, ['network', 'create', '-o', 'com.docker.network.bridge.enable_icc=false', network]);
  cleanups.push(() => run(docker, ['network', 'rm', network]).catch(() => undefined));
  cleanups.push(() => run(docker, ['rmi', '-f', image]).catch(() => undefined));

  // A Redis database of its own keeps the queue apart from anything else on the server.
  const redisUrl = `${process.env.PLZ_TEST_REDIS_URL}/7`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  cleanups.push(() => redis.disconnect());
  const queue = new Queue('cpu', { connection: redis, prefix: bullPrefix });
  cleanups.push(() => queue.close());
  const workerId = `bench-${benchId}`;
  const config = loadConfig({
    WORKER_ID: workerId,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    S3_ENDPOINT: s3Settings.endpoint,
    S3_ACCESS_KEY_ID: s3Settings.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3Settings.secretAccessKey,
    S3_REGION: s3Settings.region,
    MLFLOW_URL: process.env.PLZ_TEST_MLFLOW_URL,
    HEARTBEAT_FILE: path.join(tmpdir(), `${workerId}.heartbeat`),
    JOBS_NETWORK: network,
    LOG_LEVEL: 'warn',
  });
  const worker = await startWorker(config, createLogger(config.LOG_LEVEL, workerId), { extraLabels: { 'org.plz.bench': benchId } });
  cleanups.push(() => worker.close());

  /**
   * Submits an execution; resolves, after it has ended, with ms to its first stdout line and the
   * phases read from the live log's entry ids (Redis times, ms): submit → the worker took it → the
   * cached image found → the container started → first line.
   */
  const plzRun = async () => {
    const id = randomUUID();
    const payload = { execution_id: id, project: 'bench', user: user.name, snapshot: sha, input: null, parameters: {}, resources: { gpus: 0 } };
    const submittedAt = Date.now();
    const started = performance.now();
    await db('executions').insert({ id, project: 'bench', user_id: user.id, state: 'queued', queue: 'cpu', snapshot: sha, parameters: '{}', resources: '{"gpus":0}' });
    await queue.add(executionJobName, payload, { jobId: id });
    const reader = redis.duplicate();
    let firstLine;
    try {
      let last = '0';
      while (firstLine === undefined) {
        const answer = await reader.xread('BLOCK', 30_000, 'STREAMS', logStreamKey(id), last);
        if (!answer) throw new Error(`no log line for execution ${id} in 30 s`);
        for (const [entryId, fields] of answer[0][1]) {
          last = entryId;
          if (fields[0] === 'stream' && fields[1] === 'stdout') firstLine ??= performance.now() - started;
          if (fields[0] === 'end') throw new Error(`execution ${id} ended (${fields[1]}) before any output`);
        }
      }
    } finally {
      reader.disconnect();
    }
    for (;;) {
      const row = await db('executions').where({ id }).first('state', 'error');
      if (isTerminal(row.state)) {
        if (row.state !== 'succeeded') throw new Error(`execution ${id} ended ${row.state}: ${row.error}`);
        break;
      }
      await sleep(50);
    }
    const entries = await redis.xrange(logStreamKey(id), '-', '+');
    const at = (test) => Number(entries.find(([, fields]) => test(fields))?.[0].split('-')[0]);
    const took = at((f) => f[3]?.startsWith('worker '));
    const cached = at((f) => f[3]?.startsWith('using the cached image'));
    const containerStarted = at((f) => f[3] === 'the job container started');
    const line = at((f) => f[1] === 'stdout');
    return { firstLine, phases: { pickup: took - submittedAt, image: cached - took, container: containerStarted - cached, output: line - containerStarted } };
  };

  /** `docker run` of the same image on the same network; resolves with ms to its first stdout line, after it exited. */
  const dockerRun = () =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(docker, ['run', '--rm', '--init', '--network', network, '--label', `org.plz.bench=${benchId}`, image], { stdio: ['ignore', 'pipe', 'inherit'] });
      let firstLine;
      child.stdout.on('data', () => (firstLine ??= performance.now() - started));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 && firstLine !== undefined ? resolve(firstLine) : reject(new Error(`docker run exited ${code}`))));
    });

  log(`building the job image ${image} (warm-up execution, not counted)`);
  await plzRun();
  await dockerRun();
  const plz = [];
  const plain = [];
  const phases = [];
  for (let i = 0; i < runs; i += 1) {
    const result = await plzRun();
    plz.push(result.firstLine);
    phases.push(result.phases);
    plain.push(await dockerRun());
    const detail = Object.entries(result.phases).map(([name, value]) => `${name} ${value}`).join(', ');
    log(`run ${i + 1}/${runs}: plz ${ms(plz.at(-1))} (${detail}), docker run ${ms(plain.at(-1))}`);
  }
  const overhead = quantile(plz, 0.5) - quantile(plain, 0.5);
  const paired = quantile(plz.map((value, i) => value - plain[i]), 0.5);
  log('');
  log(`submit → first log line (plz worker): median ${ms(quantile(plz, 0.5))}, p90 ${ms(quantile(plz, 0.9))}`);
  log(`docker run → first line (same image): median ${ms(quantile(plain, 0.5))}, p90 ${ms(quantile(plain, 0.9))}`);
  log(`plz phases, medians: ${Object.keys(phases[0]).map((name) => `${name} ${ms(quantile(phases.map((p) => p[name]), 0.5))}`).join(', ')}`);
  log(`median overhead of plz: ${ms(overhead)} (median of paired differences ${ms(paired)}); target under ${ms(TARGET_OVERHEAD_MS)}: ${overhead < TARGET_OVERHEAD_MS ? 'met' : 'NOT met'}`);
  if (args.strict && overhead >= TARGET_OVERHEAD_MS) exitCode = 1;
} catch (error) {
  process.stderr.write(`${error.stack ?? error}\n`);
  exitCode = 2;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await stopAll(stoppers);
}
process.exit(exitCode);
