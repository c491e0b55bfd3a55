#!/usr/bin/env node
// Log followers benchmark (issue 17): many followers of one execution's live log through the REST
// API (`GET /api/v1/executions/{id}/logs?follow=true`), beside one reader of the same Redis stream
// (XREAD BLOCK, the floor) in the same run: the delay of each line from its XADD to each follower,
// and the Redis connections the followers cost.
//
//   npx tsc --build && node tools/bench/log-followers.mjs [--followers 1000] [--lines 300] [--interval-ms 50]
//
// The API runs in a child process over real PostgreSQL, Redis and MinIO (the testkit). A writer
// adds `--lines` lines, one every `--interval-ms`, each carrying its time; then the end entry.
// Targets: the 99th-percentile delay of a line under 1 s at 1,000 followers; the followers add at
// most 2 Redis connections (flat, whatever their number); every follower gets every line once, in
// order. Exit status 1 when one is missed, 2 on an error.
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { askApi, serveApi, startApi, stopApi } from './api-child.mjs';
import { quantile } from './quantile.mjs';

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    followers: { type: 'string', default: '1000' },
    lines: { type: 'string', default: '300' },
    'interval-ms': { type: 'string', default: '50' },
  },
});
const TARGET_P99_MS = 1000;
const TARGET_EXTRA_CONNECTIONS = 2;

/** Child process: the REST API, answering how many followers it has (`following`). */
function serve() {
  return serveApi((message, runtime) => {
    if (message === 'following') process.send({ following: runtime.services.logs.following });
  });
}

const { fetch, setTimeout, TextDecoderStream } = globalThis;
const round = (value) => Math.round(value);
const stats = (values) => ({ p50: round(quantile(values, 0.5)), p95: round(quantile(values, 0.95)), p99: round(quantile(values, 0.99)), max: round(values.reduce((most, value) => Math.max(most, value), -Infinity)) });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a followed log, recording for each line `t=<ms> n=<k>` its delay (ms) and number. */
async function follow(response, delays, seen) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const now = Date.now();
    const text = rest + value;
    const lines = text.split('\n');
    rest = lines.pop();
    for (const line of lines) {
      const match = /^t=(\d+) n=(\d+)$/.exec(line);
      if (!match) continue;
      delays.push(now - Number(match[1]));
      seen.push(Number(match[2]));
    }
  }
}

async function bench() {
  const testkit = await import('@plz/testkit');
  const { logStreamKey, heartbeatFields, heartbeatTtlSeconds, workerKey } = await import('@plz/contracts');
  const { Redis } = await import('ioredis');
  const followers = Number(args.followers);
  const lines = Number(args.lines);
  const interval = Number(args['interval-ms']);
  for (const [name, value] of [['followers', followers], ['lines', lines], ['interval-ms', interval]]) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer, got ${args[name]}`);
  }
  const stoppers = await testkit.startTestServices(new Set(['postgres', 'redis', 'minio']));
  let child;
  const redis = [];
  try {
    const services = testkit.testServices();
    const [databaseUrl, snapshots, inputs, mlflow] = await Promise.all([
      testkit.createDatabase(services.postgresUrl, 'bench_logs'),
      testkit.createBucket(services.s3, 'bench-logs-snapshots'),
      testkit.createBucket(services.s3, 'bench-logs-inputs'),
      testkit.createBucket(services.s3, 'bench-logs-mlflow'),
    ]);
    const adminToken = `plz_${randomBytes(32).toString('base64url')}`;
    let base;
    ({ child, base } = await startApi(new URL(import.meta.url).pathname, {
      adminToken,
      runtime: { databaseUrl, redisUrl: services.redisUrl, s3: services.s3, buckets: { snapshots, inputs, mlflow }, limits: { snapshot: 1024 ** 3, input: 1024 ** 3 } },
    }));
    const auth = { authorization: `Bearer ${adminToken}` };
    const following = () => askApi(child, 'following', 'following');

    const writer = new Redis(services.redisUrl);
    const floorConnection = new Redis(services.redisUrl);
    redis.push(writer, floorConnection);
    const now = new Date().toISOString();
    await writer.multi().hset(workerKey('bench-cpu'), heartbeatFields({ worker_id: 'bench-cpu', queue: 'cpu', gpus: [], execution_id: null, hostname: os.hostname(), started_at: now, heartbeat_at: now })).expire(workerKey('bench-cpu'), heartbeatTtlSeconds).exec();
    const content = randomBytes(1024);
    const snapshot = createHash('sha256').update(content).digest('hex');
    await fetch(`${base}/api/v1/snapshots/${snapshot}`, { method: 'PUT', headers: auth, body: content });
    const submitted = await fetch(`${base}/api/v1/executions`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ project: 'bench', snapshot, parameters: {} }) });
    if (submitted.status !== 201) throw new Error(`submit failed: ${submitted.status} ${await submitted.text()}`);
    const { id } = await submitted.json();
    const key = logStreamKey(id);

    const clients = async () => Number(/connected_clients:(\d+)/.exec(await writer.info('clients'))[1]);
    const before = await clients();

    // Followers through the API (a queued execution's log can be followed; it runs on nobody).
    const delays = [];
    const perFollower = [];
    const reading = [];
    for (let index = 0; index < followers; index += 1) {
      const seen = [];
      perFollower.push(seen);
      const response = await fetch(`${base}/api/v1/executions/${id}/logs?follow=true`, { headers: auth });
      if (response.status !== 200) throw new Error(`follow ${index}: ${response.status}`);
      reading.push(follow(response, delays, seen));
    }
    for (let tries = 0; (await following()).followers < followers && tries < 200; tries += 1) await sleep(50);
    const during = await clients();
    const state = await following();

    // The floor: one reader of the same stream in this process.
    const floorDelays = [];
    let floorDone = false;
    const floor = (async () => {
      let after = '0-0';
      while (!floorDone) {
        const answer = await floorConnection.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', key, after);
        const at = Date.now();
        for (const [, entries] of answer ?? []) {
          for (const [entryId, fields] of entries) {
            after = entryId;
            const line = fields[fields.indexOf('line') + 1] ?? '';
            const match = /^t=(\d+) /.exec(line);
            if (match) floorDelays.push(at - Number(match[1]));
            if (fields.includes('end')) floorDone = true;
          }
        }
      }
    })();

    const started = Date.now();
    for (let n = 0; n < lines; n += 1) {
      await writer.xadd(key, '*', 'stream', 'stdout', 'line', `t=${Date.now()} n=${n}`);
      await sleep(interval);
    }
    await writer.xadd(key, '*', 'end', 'succeeded');
    await Promise.all(reading);
    await floor;
    const seconds = (Date.now() - started) / 1000;
    const after = await clients();

    const complete = perFollower.every((seen) => seen.length === lines && seen.every((n, index) => n === index));
    const plz = stats(delays);
    const base0 = stats(floorDelays);
    const extra = during - before;
    console.log(`\nLog followers: ${followers} followers of one live log, ${lines} lines one every ${interval} ms (${seconds.toFixed(1)} s), ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(2)}\n`);
    console.log(`${'reader'.padEnd(44)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}${'lines'.padStart(10)}`);
    console.log(`${`plz: ${followers} followers through the REST API`.padEnd(44)}${String(plz.p50).padStart(9)}${String(plz.p95).padStart(9)}${String(plz.p99).padStart(9)}${String(plz.max).padStart(9)}${String(delays.length).padStart(10)}`);
    console.log(`${'floor: 1 XREAD BLOCK reader of the stream'.padEnd(44)}${String(base0.p50).padStart(9)}${String(base0.p95).padStart(9)}${String(base0.p99).padStart(9)}${String(base0.max).padStart(9)}${String(floorDelays.length).padStart(10)}`);
    console.log(`\nRedis connections: ${before} before, ${during} with the ${followers} followers (the API reads ${state.executions} stream for ${state.followers} followers), ${after} after`);
    const targets = [
      { name: `p99 delay < ${TARGET_P99_MS} ms`, value: `${plz.p99} ms`, ok: plz.p99 < TARGET_P99_MS },
      { name: `followers add <= ${TARGET_EXTRA_CONNECTIONS} connections`, value: String(extra), ok: extra <= TARGET_EXTRA_CONNECTIONS },
      { name: 'every line to every follower, once, in order', value: complete ? 'yes' : 'NO', ok: complete },
    ];
    console.log('');
    for (const target of targets) console.log(`${target.ok ? 'met   ' : 'MISSED'}  ${target.name.padEnd(46)} ${target.value}`);
    console.log(JSON.stringify({ followers, lines, interval_ms: interval, plz, floor: base0, redis_clients: { before, during, after }, complete }));
    process.exitCode = targets.every((target) => target.ok) ? 0 : 1;
  } finally {
    for (const connection of redis) connection.disconnect();
    await stopApi(child);
    await testkit.stopAll(stoppers);
  }
}

try {
  await (args.serve ? serve() : bench());
} catch (error) {
  console.error(error);
  process.exitCode = 2;
}
