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
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { executionJobName, logStreamKey } from '@plz/contracts';
import { startTestServices, stopAll } from '@plz/testkit';
import { quantile } from './quantile.mjs';
import { docker, dockerfileSnapshot, openWorkerBench } from './worker-bed.mjs';

const TARGET_OVERHEAD_MS = 1000;
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '10' }, strict: { type: 'boolean', default: false } } });
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${args.runs}`);
const log = (line) => process.stdout.write(`${line}\n`);

const ms = (value) => `${Math.round(value)} ms`;

const stoppers = await startTestServices(new Set(['postgres', 'redis', 'minio', 'mlflow']));
const benchId = `bench-${randomUUID().slice(0, 8)}`;
const cleanups = [];
let exitCode = 0;
try {
  // A job that prints one line at once (the image is built once, then cached).
  const snapshot = await dockerfileSnapshot(`# ${benchId}\nFROM python:3.11-slim-bookworm\nCMD ["python", "-c", "print('first line', flush=True)"]\n`);
  // Redis database 7 keeps the queue apart from anything else on the server.
  const { db, user, sha, image, network, redis, queue, startBenchWorker, waitForEnd } = await openWorkerBench({ benchId, database: 'worker_bench', redisDb: 7, snapshot, cleanups });
  const workerId = `bench-${benchId}`;
  const worker = await startBenchWorker(workerId, tmpdir());
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
    await waitForEnd(id, 50);
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
