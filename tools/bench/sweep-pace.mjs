#!/usr/bin/env node
// Short jobs at docker's pace (issue 17, item 3): a sweep of N one-line executions over 2 workers,
// through the real REST API, workers, PostgreSQL, Redis, MinIO and MLflow, against N `docker run
// --rm` of the same image and command, 2 at a time; both in the same run, alternating per round.
//
//   npx tsc --build && node tools/bench/sweep-pace.mjs [--jobs 100] [--rounds 3] [--workers 2] [--json]
//       [--baseline DIR]   another built checkout (e.g. before a change): its workers run a sweep
//                          too in each round, beside this one's, so both share the round's noise
//       [--phases FILE]    appends every execution's phases, worker and claim time (a JSON line per sweep)
//
// Starts PostgreSQL, Redis, MinIO and MLflow (2 MLflow workers, as a deployment) with the built
// testkit unless PLZ_TEST_* variables point at running ones, the REST API in a child process and each
// worker in a child process of its own (production settings, as in a deployment's containers), on a
// jobs network of its own. Prints per round both rates (executions per second), their ratio, and
// the worker's per-phase times (median and p90 over the round's executions; services/worker
// execution/timings.ts), and the CPU each part of the machine spent per execution and per `docker
// run` (dockerd, containerd, the services, the workers; cpu-account.mjs). Target: plz's rate at
// least 80 % of docker's (exit 1 when missed with --strict).
import { Buffer } from 'node:buffer';
import { execFile, fork, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { quantile } from './quantile.mjs';
import { serveApi, startApi, stopApi } from './api-child.mjs';
import { cpuLine, cpuSnapshot, cpuSpent } from './cpu-account.mjs';

const TARGET_RATIO = 0.8;
const docker = '/usr/bin/docker';
const execFileAsync = promisify(execFile);
const { fetch } = globalThis;
const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    worker: { type: 'boolean', default: false },
    jobs: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    baseline: { type: 'string' },
    phases: { type: 'string' },
  },
});
const log = (line) => process.stderr.write(`${line}\n`);
/** The job: one line of Python, as `plz run` of a one-line job. */
const command = ['python', '-c', "print('one line', flush=True)"];

/**
 * Child process running one worker: waits for its environment (`{ env, settings }`), starts it with
 * production settings (the benchmark's label on its containers and images) and sends each
 * execution's phase durations (`{ timings: { id, phases } }`); `{ ready: true }` once started. On
 * disconnect it closes the worker and exits.
 */
async function serveWorker() {
  const { createLogger, loadConfig, startWorker } = await import('@plz/worker');
  const [{ env, settings }] = await once(process, 'message');
  const config = loadConfig(env);
  const worker = await startWorker(config, createLogger(config.LOG_LEVEL, config.WORKER_ID), {
    ...settings,
    onTimings: (id, phases) => process.send({ timings: { id, phases } }),
  });
  process.on('disconnect', async () => {
    await worker.close();
    process.exit(0);
  });
  process.send({ ready: true });
}

/** A snapshot (tar.gz) whose Dockerfile runs `command` on the stand-in python image. */
async function snapshotBytes(tag) {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, `# ${tag}\nFROM python:3.11-slim-bookworm\nCMD ${JSON.stringify(command)}\n`);
  pack.finalize();
  const chunks = [];
  for await (const chunk of Readable.from(pack)) chunks.push(chunk);
  return gzipSync(Buffer.concat(chunks));
}

/** `jobs` runs of `docker run --rm --init --network <network> <image>`, `parallel` at a time; resolves with the wall time, ms. */
async function dockerRuns(jobs, parallel, image, network, label) {
  let next = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const child = spawn(docker, ['run', '--rm', '--init', '--network', network, '--label', label, image], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 && out.includes('one line') ? resolve() : reject(new Error(`docker run exited ${code}`))));
    });
  const lane = async () => {
    while (next < jobs) {
      next += 1;
      await one();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: parallel }, lane));
  return performance.now() - started;
}

async function bench() {
  process.env.PLZ_TEST_MLFLOW_WORKERS ??= '2';
  const testkit = await import('@plz/testkit');
  const { jobImageTag } = await import('@plz/contracts');
  const jobs = Number(args.jobs);
  const rounds = Number(args.rounds);
  const workerCount = Number(args.workers);
  const loadBefore = os.loadavg();
  const started = Date.now();
  const stoppers = await testkit.startTestServices(new Set(['postgres', 'redis', 'minio', 'mlflow']));
  const benchId = `pace-${randomUUID().slice(0, 8)}`;
  const network = `plz-bench-jobs-${benchId}`;
  const label = `org.plz.bench=${benchId}`;
  const cleanups = [];
  const workers = [];
  const timings = new Map();
  /** The worker of each timed execution (for the lanes per worker). */
  const workerOf = new Map();
  /** When each timed execution was claimed (performance.now() of this process, ms). */
  const claimedAt = new Map();
  let exitCode = 0;
  try {
    const services = testkit.testServices();
    const databaseUrl = await testkit.createDatabase(services.postgresUrl, 'pace');
    for (const bucket of ['plz-snapshots', 'plz-inputs', 'mlflow']) await testkit.ensureBucket(services.s3, bucket);
    const adminToken = `plz_${randomBytes(32).toString('base64url')}`;
    const api = await startApi(new URL(import.meta.url).pathname, {
      adminToken,
      runtime: {
        databaseUrl,
        redisUrl: services.redisUrl,
        s3: services.s3,
        buckets: { snapshots: 'plz-snapshots', inputs: 'plz-inputs', mlflow: 'mlflow' },
        limits: { snapshot: 1024 ** 3, input: 1024 ** 3 },
      },
    });
    cleanups.push(() => stopApi(api.child));
    const auth = { authorization: `Bearer ${adminToken}` };
    const call = async (method, route, body) => {
      const response = await fetch(`${api.base}${route}`, {
        method,
        headers: { ...auth, ...(body && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
      });
      if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
      return response.status === 204 ? undefined : response.json();
    };

    await execFileAsync(docker, ['network', 'create', '--label', label, '-o', 'com.docker.network.bridge.enable_icc=false', network]);
    cleanups.push(() => execFileAsync(docker, ['network', 'rm', network]).catch(() => undefined));
    /** Starts `workerCount` workers from the checkout whose bench script is `script` (this one, or --baseline's). */
    const startWorkers = async (variant, script) => {
      const started = [];
      for (let i = 0; i < workerCount; i += 1) {
        const workerId = `${benchId}-${variant}-cpu-${i}`;
        const child = fork(script, ['--worker'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        child.on('message', (message) => {
          if (message?.timings) {
            timings.set(message.timings.id, message.timings.phases);
            workerOf.set(message.timings.id, workerId);
            // the claim, on this process's clock: `total` runs from the claim to this report
            claimedAt.set(message.timings.id, performance.now() - (message.timings.phases.total ?? 0));
          }
        });
        child.send({
          env: {
            WORKER_ID: workerId,
            DATABASE_URL: databaseUrl,
            REDIS_URL: services.redisUrl,
            S3_ENDPOINT: services.s3.endpoint,
            S3_ACCESS_KEY_ID: services.s3.accessKeyId,
            S3_SECRET_ACCESS_KEY: services.s3.secretAccessKey,
            S3_REGION: services.s3.region,
            MLFLOW_URL: services.mlflowUrl,
            HEARTBEAT_FILE: path.join(os.tmpdir(), `${workerId}.heartbeat`),
            JOBS_NETWORK: network,
            // as the generator sets for a deployment's workers (--input-cache-gib, default 20): the
            // worker then also mounts each job's configuration file from this folder
            INPUT_CACHE_DIR: path.join(os.tmpdir(), `${benchId}-cache-${variant}-${i}`),
            INPUT_CACHE_GIB: '20',
            LOG_LEVEL: 'warn',
          },
          settings: { extraLabels: { 'org.plz.bench': benchId }, logDirectory: path.join(os.tmpdir(), `${benchId}-logs-${variant}-${i}`) },
        });
        const [message] = await once(child, 'message');
        if (!message?.ready) throw new Error(`worker ${variant} ${i} did not start`);
        started.push(child);
        workers.push(child);
      }
      return started;
    };
    /** Closes workers (each finishes its finalizations) and waits for their exit. */
    const stopWorkers = async (children) => {
      for (const child of children) {
        if (child.connected) {
          child.disconnect();
          await once(child, 'exit');
        }
      }
    };
    cleanups.push(async () => {
      await stopWorkers(workers);
      const { stdout } = await execFileAsync(docker, ['ps', '-aq', '--filter', `label=${label}`]).catch(() => ({ stdout: '' }));
      const left = stdout.split('\n').filter(Boolean);
      if (left.length) await execFileAsync(docker, ['rm', '-f', ...left]).catch(() => undefined);
      for (const name of readdirSync(os.tmpdir()).filter((entry) => entry.startsWith(`${benchId}-cache-`))) rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    });

    const snapshot = await snapshotBytes(benchId);
    const sha = createHash('sha256').update(snapshot).digest('hex');
    await call('PUT', `/api/v1/snapshots/${sha}`, snapshot);
    const image = jobImageTag(sha);
    cleanups.push(() => execFileAsync(docker, ['rmi', '-f', image]).catch(() => undefined));

    /** Submits a sweep of `count` executions; resolves with the wall time until all ended, ms, and their ids. */
    const sweep = async (count) => {
      const t0 = performance.now();
      const created = await call('POST', '/api/v1/sweeps', { project: 'pace', snapshot: sha, parameters: Array.from({ length: count }, (_, i) => ({ i })) });
      for (;;) {
        const status = await call('GET', `/api/v1/sweeps/${created.id}`);
        const ended = status.executions.filter((execution) => ['succeeded', 'failed', 'stopped', 'error'].includes(execution.state));
        if (ended.length === count) {
          const wall = performance.now() - t0;
          const bad = ended.filter((execution) => execution.state !== 'succeeded');
          if (bad.length) throw new Error(`${bad.length} executions did not succeed, e.g. ${bad[0].id} ${bad[0].state}`);
          return { wall, ids: created.executions, t0 };
        }
        // every half second: the reads cost the API and PostgreSQL CPU that the docker side does not pay
        await sleep(500);
      }
    };

    const variants = [{ name: 'plz', script: new URL(import.meta.url).pathname }];
    if (args.baseline) variants.push({ name: 'baseline', script: path.join(path.resolve(args.baseline), 'tools/bench/sweep-pace.mjs') });
    /** Phases that keep a worker from its next execution: what a worker's lane is made of. */
    const lanePhases = ['between', 'claim', 'open', 'prepare', 'start', 'mark_running', 'run', 'log_drain', 'exit_state', 'hand_on'];
    /** Runs one sweep of `count` on `variant`'s workers, started for it (and warmed up: `workerCount` executions) and closed after. */
    const sweepOn = async (variant, count) => {
      const children = await startWorkers(variant.name, variant.script);
      try {
        await sweep(workerCount);
        const names = new Map([[process.pid, 'bench (requests, docker CLI)'], [api.child.pid, 'REST API'], ...children.map((child) => [child.pid, 'workers'])]);
        const before = cpuSnapshot(names);
        const result = await sweep(count);
        result.cpu = cpuSpent(before, cpuSnapshot(names));
        await sleep(300); // the last timings messages
        return result;
      } finally {
        await stopWorkers(children);
      }
    };
    /** Median and p90 of each phase over `ids`, and of the lane (the sum of lanePhases per execution). */
    const phasesOf = (ids, t0, wall) => {
      const phases = ids.map((id) => timings.get(id)).filter(Boolean);
      for (const p of phases) p.lane = lanePhases.reduce((sum, name) => sum + (p[name] ?? 0), 0);
      const names = [...new Set(phases.flatMap((p) => Object.keys(p)))];
      const breakdown = Object.fromEntries(
        names.map((name) => {
          const values = phases.map((p) => p[name] ?? 0);
          return [name, { p50: Math.round(quantile(values, 0.5)), p90: Math.round(quantile(values, 0.9)), max: Math.round(Math.max(...values)) }];
        }),
      );
      // the sweep's wall time follows the mean of the lanes (a skewed distribution: the mean is above the median)
      if (phases.length) breakdown.lane.mean = Math.round(phases.reduce((sum, p) => sum + p.lane, 0) / phases.length);
      // each worker's executions and the sum of their lanes: against the wall time, what a worker spent outside its lanes (idle, or waiting for work)
      const perWorker = new Map();
      for (const id of ids) {
        const p = timings.get(id);
        if (!p) continue;
        const worker = workerOf.get(id);
        const entry = perWorker.get(worker) ?? { executions: 0, lanes_s: 0, first: Infinity, last: -Infinity };
        entry.executions += 1;
        entry.lanes_s += p.lane / 1000;
        entry.spans_s = (entry.spans_s ?? 0) + ((p.between ?? 0) + (p.foreground ?? 0)) / 1000;
        const claim = claimedAt.get(id) - t0;
        entry.first = Math.min(entry.first, claim - (p.between ?? 0));
        entry.last = Math.max(entry.last, claim - (p.between ?? 0) + p.lane);
        perWorker.set(worker, entry);
      }
      // first_s: the first lane's start after the sweep's request; idle_end_s: from the last lane's end to the sweep's end
      const workers = [...perWorker.values()].map((entry) => ({
        executions: entry.executions,
        lanes_s: Number(entry.lanes_s.toFixed(1)),
        // between + foreground: the lane as one span (anything no phase times shows as the difference)
        spans_s: Number(entry.spans_s.toFixed(1)),
        first_s: Number((entry.first / 1000).toFixed(1)),
        idle_end_s: Number(((wall - entry.last) / 1000).toFixed(1)),
      }));
      return { breakdown, names, timed: phases.length, workers };
    };

    log(`[pace] services and API up in ${((Date.now() - started) / 1000).toFixed(1)} s; warm-up (image build, not counted); variants: ${variants.map((v) => v.name).join(', ')}`);
    await sweepOn(variants[0], workerCount * 2);
    await dockerRuns(2, 2, image, network, label);

    const results = [];
    for (let round = 1; round <= rounds; round += 1) {
      const load = os.loadavg()[0];
      const cpuBefore = cpuSnapshot(new Map([[process.pid, 'bench (requests, docker CLI)']]));
      const dockerMs = await dockerRuns(jobs, workerCount, image, network, label);
      const dockerCpu = cpuSpent(cpuBefore, cpuSnapshot(new Map([[process.pid, 'bench (requests, docker CLI)']])));
      const row = {
        round,
        load_average_1m: Number(load.toFixed(1)),
        docker_s: Number((dockerMs / 1000).toFixed(1)),
        docker_per_s: Number(((jobs * 1000) / dockerMs).toFixed(2)),
        docker_lane_ms: Math.round((dockerMs * workerCount) / jobs),
        docker_cpu_ms: Object.fromEntries(Object.entries(dockerCpu).map(([group, seconds]) => [group, Math.round((seconds * 1000) / jobs)])),
      };
      log(`[pace] round ${round}/${rounds} (load ${row.load_average_1m}): docker run ${row.docker_s} s (${row.docker_per_s}/s, ${row.docker_lane_ms} ms per run and lane)`);
      log(`        docker run CPU, ms per run: ${cpuLine(dockerCpu, jobs)}`);
      // alternate the order of the variants from round to round
      const ordered = round % 2 === 1 ? variants : [...variants].reverse();
      for (const variant of ordered) {
        const plz = await sweepOn(variant, jobs);
        const { breakdown, names, timed, workers } = phasesOf(plz.ids, plz.t0, plz.wall);
        if (args.phases) {
          // every execution's phases, worker and claim time (ms after the sweep's request), in claim order
          const rows = plz.ids.filter((id) => timings.has(id)).map((id) => ({ id, worker: workerOf.get(id), claimed_ms: Math.round(claimedAt.get(id) - plz.t0), ...timings.get(id) }));
          appendFileSync(args.phases, `${JSON.stringify({ round, variant: variant.name, executions: rows.sort((a, b) => a.claimed_ms - b.claimed_ms) })}\n`);
        }
        row[variant.name] = {
          s: Number((plz.wall / 1000).toFixed(1)),
          per_s: Number(((jobs * 1000) / plz.wall).toFixed(2)),
          lane_ms: Math.round((plz.wall * workerCount) / jobs),
          ratio: Number((dockerMs / plz.wall).toFixed(2)),
          load_average_1m: Number(os.loadavg()[0].toFixed(1)),
          phases_ms: breakdown,
          cpu_ms: Object.fromEntries(Object.entries(plz.cpu).map(([group, seconds]) => [group, Math.round((seconds * 1000) / jobs)])),
          timed,
          workers,
        };
        const v = row[variant.name];
        log(`        ${variant.name} sweep ${v.s} s (${v.per_s}/s, ${v.lane_ms} ms per execution and worker; load ${v.load_average_1m}): ${Math.round(v.ratio * 100)} % of docker's rate`);
        log(`        ${variant.name} CPU, ms per execution: ${cpuLine(plz.cpu, jobs)}`);
        log(`        ${variant.name} phases, ms p50/p90 over ${timed}: ${names.map((name) => `${name} ${breakdown[name].p50}/${breakdown[name].p90}`).join(', ')} (lane mean ${breakdown.lane?.mean}); per worker, executions, the sum of their lanes, the first lane's start and the time from the last lane's end to the sweep's: ${workers.map((w) => `${w.executions} in ${w.lanes_s} s (spans ${w.spans_s} s; from ${w.first_s} s, ${w.idle_end_s} s before the end)`).join(', ')}`);
      }
      results.push(row);
    }
    const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}`;
    if (args.json) console.log(JSON.stringify({ machine, load_average_before: loadBefore, jobs, workers: workerCount, results }, null, 2));
    log(`\n${jobs} one-line executions over ${workerCount} workers vs docker run ${workerCount} at a time, ${machine}`);
    for (const variant of variants) {
      const ratios = results.map((row) => row[variant.name].ratio);
      const median = quantile(ratios, 0.5);
      log(`${variant.name}: ratios per round: ${ratios.map((r) => `${Math.round(r * 100)} %`).join(', ')}; median ${Math.round(median * 100)} %; target ${TARGET_RATIO * 100} %: ${median >= TARGET_RATIO ? 'met' : 'NOT met'}`);
      if (variant.name === 'plz' && args.strict && median < TARGET_RATIO) exitCode = 1;
    }
  } catch (error) {
    process.stderr.write(`${error.stack ?? error}\n`);
    exitCode = 2;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => log(`[pace] cleanup: ${error.message}`));
    await testkit.stopAll(stoppers);
  }
  process.exit(exitCode);
}

if (args.serve) await serveApi();
else if (args.worker) await serveWorker();
else await bench();
