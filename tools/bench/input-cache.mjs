#!/usr/bin/env node
// Input cache benchmark (issue 17 item 2): what an unchanged 1 GiB input adds to a run, side by side
// with the same job without input, in one run: first with the worker's input cache (INPUT_CACHE_DIR:
// the input extracted once, then bind-mounted read-only), then without it (the input streamed from
// MinIO into each container, as before the cache).
//
//   npx tsc --build && node tools/bench/input-cache.mjs [--runs 5] [--size-mib 1024] [--strict]
//
// Starts PostgreSQL, Redis, MinIO and MLflow with the built testkit (tools/testkit/dist) unless
// PLZ_TEST_* variables already point at running ones; uses the real Docker engine (/usr/bin/docker)
// and the local image python:3.11-slim-bookworm. Each run is timed from submit (row inserted and
// BullMQ job added, as the REST API does) to the execution's terminal state; the job prints the
// bytes it sees under /plz/input. Target: the cached input adds under 500 ms to the median run
// (--strict: exit 1 if not).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import tar from 'tar-stream';
import { executionJobName, logStreamKey } from '@plz/contracts';
import { s3Client, startTestServices, stopAll } from '@plz/testkit';
import { quantile } from './quantile.mjs';
import { dockerfileSnapshot, openWorkerBench, run } from './worker-bed.mjs';

const TARGET_ADDED_MS = 500;
const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, 'size-mib': { type: 'string', default: '1024' }, strict: { type: 'boolean', default: false } },
});
const runs = Number(args.runs);
const sizeMiB = Number(args['size-mib']);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${args.runs}`);
if (!Number.isInteger(sizeMiB) || sizeMiB < 1) throw new Error(`--size-mib must be a positive integer, got ${args['size-mib']}`);
const log = (line) => process.stdout.write(`${line}\n`);
const ms = (value) => `${Math.round(value)} ms`;

/** The job: prints the bytes under /plz/input (the image is built once, then cached). */
const inputBytesScript = "import os; print('input bytes', sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk('/plz/input') for f in fs), flush=True)";

/** Writes a tar of `sizeMiB` MiB of random bytes in 64 MiB files to `file`; returns its sha256 and size. */
const writeInput = async (file) => {
  const pack = tar.pack();
  const hash = createHash('sha256');
  let size = 0;
  const written = pipeline(
    pack,
    async function* (source) {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(file),
  );
  const fileMiB = 64;
  for (let i = 0; i * fileMiB < sizeMiB; i += 1) {
    const bytes = Math.min(fileMiB, sizeMiB - i * fileMiB) * 1024 ** 2;
    const entry = pack.entry({ name: `part-${String(i).padStart(3, '0')}.bin`, size: bytes, mode: 0o644 });
    for (let done = 0; done < bytes; done += 1024 ** 2) {
      if (!entry.write(randomBytes(1024 ** 2))) await new Promise((resolve) => entry.once('drain', resolve));
    }
    await new Promise((resolve, reject) => entry.end((error) => (error ? reject(error) : resolve())));
  }
  pack.finalize();
  await written;
  return { sha256: hash.digest('hex'), size };
};

const stoppers = await startTestServices(new Set(['postgres', 'redis', 'minio', 'mlflow']));
const benchId = `bench-${randomUUID().slice(0, 8)}`;
const cleanups = [];
let exitCode = 0;
try {
  const scratch = await mkdtemp(path.join(tmpdir(), 'plz-bench-input-cache-'));
  // the cache's files and folders are read-only: made writable first
  cleanups.push(() => run('sh', ['-c', 'chmod -R u+w "$0"; rm -rf "$0"', scratch]).catch(() => undefined));
  const snapshot = await dockerfileSnapshot(`# ${benchId}\nFROM python:3.11-slim-bookworm\nCMD ["python", "-c", ${JSON.stringify(inputBytesScript)}]\n`);
  const { db, user, sha, image, redis, queue, startBenchWorker, waitForEnd } = await openWorkerBench({ benchId, database: 'worker_bench_input', redisDb: 8, snapshot, cleanups });
  const s3 = s3Client(JSON.parse(process.env.PLZ_TEST_S3));
  cleanups.push(() => s3.destroy());

  let started = performance.now();
  const inputFile = path.join(scratch, 'input.tar');
  const input = await writeInput(inputFile);
  log(`input: ${(input.size / 1024 ** 2).toFixed(0)} MiB tar written and hashed in ${ms(performance.now() - started)}`);
  started = performance.now();
  await s3.send(new PutObjectCommand({ Bucket: 'plz-inputs', Key: `${input.sha256}.tar`, Body: createReadStream(inputFile), ContentLength: (await stat(inputFile)).size }));
  log(`input uploaded to MinIO in ${ms(performance.now() - started)}`);
  await rm(inputFile);

  /** Starts a worker, with the input cache in `cacheDir` when given. */
  const worker = (name, cacheDir) => startBenchWorker(`${name}-${benchId}`, scratch, cacheDir ? { INPUT_CACHE_DIR: cacheDir, INPUT_CACHE_GIB: '20' } : {});

  /** Submits an execution (with the input or none); resolves with ms from submit to its terminal state and its stdout line. */
  const plzRun = async (withInput) => {
    const id = randomUUID();
    const payload = { execution_id: id };
    const begun = performance.now();
    await db('executions').insert({
      id,
      project: 'bench',
      user_id: user.id,
      state: 'queued',
      queue: 'cpu',
      snapshot: sha,
      input: withInput ? JSON.stringify({ kind: 'input', sha256: input.sha256 }) : null,
      parameters: '{}',
      resources: '{"gpus":0}',
    });
    await queue.add(executionJobName, payload, { jobId: id });
    await waitForEnd(id, 20);
    const total = performance.now() - begun;
    // the worker ends the live log after the state: wait for it (not timed), so that it is idle before the next run or its close
    let entries = [];
    for (let waited = 0; waited < 30_000; waited += 50) {
      entries = await redis.xrange(logStreamKey(id), '-', '+');
      if (entries.some(([, fields]) => fields[0] === 'end')) break;
      await sleep(50);
    }
    const line = entries.map(([, fields]) => fields).find((fields) => fields[1] === 'stdout')?.[3] ?? '';
    const expected = `input bytes ${withInput ? sizeMiB * 1024 ** 2 : 0}`;
    if (line !== expected) throw new Error(`execution ${id}: "${line}", expected "${expected}"`);
    return { total, line };
  };

  /** Alternates runs without and with the input; returns both series (ms). */
  const series = async (label) => {
    const without = [];
    const withInput = [];
    for (let i = 0; i < runs; i += 1) {
      without.push((await plzRun(false)).total);
      const result = await plzRun(true);
      withInput.push(result.total);
      log(`${label} run ${i + 1}/${runs}: without input ${ms(without.at(-1))}, with the ${sizeMiB} MiB input ${ms(withInput.at(-1))} (${result.line})`);
    }
    return { without, withInput };
  };

  const summary = [];
  const report = (label, { without, withInput }) => {
    const added = quantile(withInput, 0.5) - quantile(without, 0.5);
    const paired = quantile(withInput.map((value, i) => value - without[i]), 0.5);
    summary.push(`${label}: without input median ${ms(quantile(without, 0.5))} (p90 ${ms(quantile(without, 0.9))}), with input median ${ms(quantile(withInput, 0.5))} (p90 ${ms(quantile(withInput, 0.9))}); added ${ms(added)} (median of paired differences ${ms(paired)})`);
    return added;
  };

  // 1. With the input cache.
  const cacheDir = path.join(scratch, 'input-cache');
  let current = await worker('cached', cacheDir);
  cleanups.push(() => current.close().catch(() => undefined));
  log(`building the job image ${image} (warm-up execution, not counted)`);
  await plzRun(false);
  const first = await plzRun(true);
  log(`first run with the new input (download and extraction into the cache): ${ms(first.total)} (${first.line})`);
  summary.push(`first run with the new input, cache empty: ${ms(first.total)}`);
  const cached = report('input cache (mounted read-only)', await series('cache'));
  await current.close();

  // 2. Without it: the input streamed into each container.
  current = await worker('copy');
  await plzRun(false);
  const copied = report('no cache (streamed into each container)', await series('copy'));

  log('');
  for (const line of summary) log(line);
  log(`target: a cached ${sizeMiB} MiB input adds under ${ms(TARGET_ADDED_MS)}: ${cached < TARGET_ADDED_MS ? 'met' : 'NOT met'} (${ms(cached)}; without the cache ${ms(copied)})`);
  if (args.strict && cached >= TARGET_ADDED_MS) exitCode = 1;
} catch (error) {
  process.stderr.write(`${error.stack ?? error}\n`);
  exitCode = 2;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await stopAll(stoppers);
}
process.exit(exitCode);
