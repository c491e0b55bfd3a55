#!/usr/bin/env node
// MLflow metric ingestion benchmark: batched log-batch requests through @plz/mlflow-client against
// one request per point (log-metric), both into the same run of a real MLflow server.
//
//   npx tsc --build && node tools/bench/mlflow-ingest.mjs [--points 50000] [--naive-points 1000] [--keys 5] [--concurrency 1]
//
// --concurrency N keeps N log-batch requests in flight (`logBatch`'s `concurrency`, as the worker's
// MLFLOW_LOG_CONCURRENCY); PLZ_TEST_MLFLOW_WORKERS sets the MLflow server's worker processes.
//
// Starts PostgreSQL, MinIO and MLflow with the built testkit (tools/testkit/dist) unless
// PLZ_TEST_POSTGRES_URL, PLZ_TEST_S3 and PLZ_TEST_MLFLOW_URL already point at running ones.
// Exits 1 when batched ingestion is under the target (5,000 points per second).
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { MlflowClient } from '@plz/mlflow-client';
import { startTestServices, stopAll } from '@plz/testkit';

const TARGET_POINTS_PER_SECOND = 5000;

const { values: args } = parseArgs({
  options: {
    points: { type: 'string', default: '50000' },
    'naive-points': { type: 'string', default: '1000' },
    keys: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1' },
  },
});
const points = Number(args.points);
const naivePoints = Number(args['naive-points']);
const keys = Number(args.keys);
const concurrency = Number(args.concurrency);
for (const [name, value] of Object.entries({ points, naivePoints, keys, concurrency })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
}

/** `count` points spread over `keyCount` metric keys, steps 0, 1, 2… per key, like a training loop. */
const makePoints = (prefix, count, keyCount) => {
  const start = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const step = Math.floor(i / keyCount);
    return { key: `${prefix}/metric_${i % keyCount}`, value: Math.exp(-step / 1000) + (i % 7) / 100, timestamp: start + step, step };
  });
};

const seconds = (ms) => (ms / 1000).toFixed(2);
const rate = (count, ms) => Math.round((count / ms) * 1000);

const log = (line) => process.stdout.write(`${line}\n`);

const stoppers = await startTestServices(new Set(['postgres', 'minio', 'mlflow']));
let exitCode = 0;
try {
  const client = new MlflowClient({ baseUrl: process.env.PLZ_TEST_MLFLOW_URL });
  const experimentId = await client.getOrCreateExperiment('plz-bench-mlflow-ingest');
  const run = await client.createRun({ experimentId, runName: `ingest-${new Date().toISOString()}` });
  const runId = run.info.run_id;
  log(`MLflow ${process.env.PLZ_TEST_MLFLOW_URL}, run ${runId}`);

  // warm-up: first requests pay for connections and lazy imports on the server
  await client.logBatch(runId, { metrics: makePoints('warmup', 100, 1) });

  const batched = makePoints('batched', points, keys);
  const batchedStart = performance.now();
  const cpuStart = process.cpuUsage();
  const { requests } = await client.logBatch(runId, { metrics: batched }, { concurrency });
  const batchedMs = performance.now() - batchedStart;
  const { user, system } = process.cpuUsage(cpuStart);
  const clientCpuMs = (user + system) / 1000;

  const naive = makePoints('naive', naivePoints, keys);
  const naiveStart = performance.now();
  for (const point of naive) await client.logMetric(runId, point);
  const naiveMs = performance.now() - naiveStart;

  // check that every point arrived
  let stored = 0;
  for (let k = 0; k < keys; k += 1) stored += (await client.getMetricHistory(runId, `batched/metric_${k}`)).length;
  if (stored !== points) throw new Error(`MLflow stored ${stored} batched points, expected ${points}`);
  await client.updateRun({ runId, status: 'FINISHED', endTime: Date.now() });

  const batchedRate = rate(points, batchedMs);
  const naiveRate = rate(naivePoints, naiveMs);
  log('');
  log(`batched  ${points} points in ${requests} log-batch requests (${concurrency} at a time): ${seconds(batchedMs)} s, ${batchedRate} points/s (all ${stored} read back)`);
  log(`         client CPU ${Math.round(clientCpuMs)} ms (${((clientCpuMs * 1000) / points).toFixed(1)} µs per point); the rest is MLflow and PostgreSQL`);
  log(`naive    ${naivePoints} points, one log-metric request each: ${seconds(naiveMs)} s, ${naiveRate} points/s`);
  log(`         ${points} points the naive way would take about ${seconds((naiveMs / naivePoints) * points)} s`);
  log(`speed-up ${(batchedRate / naiveRate).toFixed(1)}x; target ${TARGET_POINTS_PER_SECOND} points/s with batching: ${batchedRate >= TARGET_POINTS_PER_SECOND ? 'met' : 'MISSED'}`);
  log(JSON.stringify({ benchmark: 'mlflow-ingest', points, requests, concurrency, batchedMs: Math.round(batchedMs), batchedPointsPerSecond: batchedRate, clientCpuMs: Math.round(clientCpuMs), naivePoints, naiveMs: Math.round(naiveMs), naivePointsPerSecond: naiveRate, target: TARGET_POINTS_PER_SECOND }));
  if (batchedRate < TARGET_POINTS_PER_SECOND) exitCode = 1;
} catch (error) {
  process.stderr.write(`mlflow-ingest failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  exitCode = 2;
} finally {
  await stopAll(stoppers);
}
process.exit(exitCode);
