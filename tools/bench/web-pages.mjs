#!/usr/bin/env node
// Web view benchmark (issue 16): every page of the server-rendered web view answers in under
// 200 ms with 10,000 executions in the database, and no statement a page runs scans `executions`.
//
//   npx tsc --build && node tools/bench/web-pages.mjs [--requests 200] [--warm-up 20] [--executions 10000] [--plans] [--target-ms 200]
//   node tools/bench/web-pages.mjs --executions 100000 --target-ms 100   # issue 17, item 6 (growth)
//   node tools/bench/web-pages.mjs --only workers,queued        # time only the pages whose names contain these
//   PLZ_BENCH_CPU_PROF=/tmp/prof node tools/bench/web-pages.mjs  # V8 CPU profile of the API
//
// Starts PostgreSQL, Redis and MinIO with the built testkit (or reuses those named by the
// PLZ_TEST_* variables), fills a fresh database with `--executions` executions (a seeded generator:
// the same rows on every run), and runs the API (the built @plz/restapi, production wiring from
// openRuntime, logging at `info` to /dev/null) in a child process, as tools/bench/restapi.mjs does.
// A browser session (POST /login) then opens each page `--requests` times in a row after
// `--warm-up` requests not counted. It prints p50, p95, p99 and max per page, the plans
// (EXPLAIN ANALYZE, BUFFERS) of every statement the pages ran that reads `executions` (the list
// page with each of the 16 combinations of its filters, first page and second; the plans themselves
// where one scans executions, or all of them with --plans), and a JSON line.
// Exit status 1 when a page's p99 is --target-ms (200) or more, a plan has a Seq Scan on executions, or a
// request failed; 2 on an error.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setInterval, clearInterval } from 'node:timers';
import { URLSearchParams } from 'node:url';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { askApi, serveApi, startApi, stopApi } from './api-child.mjs';
import { quantile } from './quantile.mjs';
import { explain, PROJECTS, populate, seeded, USERS } from './executions-fill.mjs';

/** Log lines in Redis of each running execution (the tail reads the last 1,001). */
const LOG_LINES = 2000;

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    requests: { type: 'string', default: '200' },
    'warm-up': { type: 'string', default: '20' },
    executions: { type: 'string', default: '10000' },
    plans: { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
    'target-ms': { type: 'string', default: '200' },
  },
});
/** p99 target of every page, ms: 200 at 10,000 executions (issue 16), 100 at 100,000 (issue 17, item 6). */
const TARGET_P99_MS = Number(args['target-ms']);

/** Node's fetch (a global since Node 18; taken from globalThis for the linter's sake). */
const { fetch } = globalThis;

/**
 * What the workers leave in Redis and MinIO: heartbeats of 8 `gpu` and 2 `cpu` workers (refreshed
 * every 5 s by the returned timer), each running execution's live log (LOG_LINES lines), and for
 * `succeeded` its stored log (4 MiB) and 25 output files.
 */
async function workerTraces(redis, s3, bucket, rows, succeeded) {
  const { logStreamKey } = await import('@plz/contracts');
  const { writeHeartbeat } = await import('@plz/lifecycle');
  const running = rows.filter((row) => row.state === 'running');
  const startedAt = new Date(Date.now() - 3 * 3600_000).toISOString();
  const beat = () =>
    Promise.all(running.map((row) => writeHeartbeat(redis, { worker_id: row.worker_id, queue: row.queue, gpus: row.gpus, execution_id: row.id, hostname: `host-${row.worker_id}`, started_at: startedAt })));
  await beat();
  const timer = setInterval(() => void beat(), 5000);
  for (const row of running) {
    const pipeline = redis.pipeline();
    for (let line = 1; line <= LOG_LINES; line += 1) pipeline.xadd(logStreamKey(row.id), '*', 'stream', line % 50 === 0 ? 'stderr' : 'stdout', 'line', `step ${line}: loss=${(2 / line).toFixed(5)} lr=0.001 throughput=${(900 + (line % 97)).toFixed(1)} samples/s\n`);
    await pipeline.exec();
  }
  const prefix = `${succeeded.mlflow_experiment_id}/${succeeded.mlflow_run_id}/artifacts/`;
  const log = Array.from({ length: 60_000 }, (_, line) => `epoch ${Math.floor(line / 600)} step ${line}: loss=${(2 / (line + 1)).toFixed(5)} accuracy=${(line / 60_000).toFixed(4)}`).join('\n');
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}logs/execution.log`, Body: `${log}\n` }));
  for (let k = 0; k < 25; k += 1) {
    const key = k < 20 ? `output/checkpoints/epoch_${String(k * 5).padStart(3, '0')}.pt` : `output/plots/curve_${k}.png`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${key}`, Body: randomBytes(1024 + k * 100) }));
  }
  return timer;
}

const log = (line) => process.stdout.write(`${line}\n`);
const machine = () => `${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(2)}`;
const stats = (values) => ({ p50: quantile(values, 0.5), p95: quantile(values, 0.95), p99: quantile(values, 0.99), max: Math.max(...values) });
const ms = (value) => value.toFixed(1);


async function bench() {
  const testkit = await import('@plz/testkit');
  const { runMigrations } = await import('@plz/lifecycle');
  const { default: knex } = await import('knex');
  const { Redis } = await import('ioredis');
  const { default: pg } = await import('pg');
  const requests = Number(args.requests);
  const warmUp = Number(args['warm-up']);
  const n = Number(args.executions);
  for (const [name, value, least] of [['requests', requests, 10], ['warm-up', warmUp, 0], ['executions', n, 2000]]) {
    if (!Number.isInteger(value) || value < least) throw new Error(`--${name} takes an integer of at least ${least}, got ${args[name]}`);
  }

  const loadAtStart = os.loadavg()[0];
  log(`machine at the start: ${machine()}`);
  const stoppers = await testkit.startTestServices(new Set(['postgres', 'redis', 'minio']));
  let child;
  let redis;
  let heartbeat;
  let db;
  let pgClient;
  const s3 = testkit.s3Client(testkit.testServices().s3);
  let exitCode = 0;
  try {
    const services = testkit.testServices();
    const [databaseUrl, snapshots, inputs, mlflow] = await Promise.all([
      testkit.createDatabase(services.postgresUrl, 'web_bench'),
      testkit.createBucket(services.s3, 'web-bench-snapshots'),
      testkit.createBucket(services.s3, 'web-bench-inputs'),
      testkit.createBucket(services.s3, 'web-bench-mlflow'),
    ]);
    db = knex({ client: 'pg', connection: databaseUrl, pool: { min: 1, max: 4 } });
    await runMigrations(db);
    pgClient = new pg.Client({ connectionString: databaseUrl });
    await pgClient.connect();
    const filling = performance.now();
    const random = seeded(16);
    const { rows, sweeps } = await populate(db, n, random);
    const sweep100 = sweeps.find((sweep) => sweep.size === 100);
    const newest = (state, queue) => rows.filter((row) => row.state === state && (!queue || row.queue === queue)).at(-1);
    const queued = newest('queued', 'gpu');
    const running = newest('running', 'gpu');
    const succeeded = rows.filter((row) => row.sweep_id === sweep100.id && row.state === 'succeeded' && row.measures).at(-1);
    redis = new Redis(services.redisUrl);
    heartbeat = await workerTraces(redis, s3, mlflow, rows, succeeded);
    const count = (state) => rows.filter((row) => row.state === state).length;
    log(
      `${rows.length} executions (${['queued', 'running', 'succeeded', 'failed', 'stopped', 'error'].map((state) => `${count(state)} ${state}`).join(', ')}; ${rows.filter((row) => row.measures).length} with measures), ` +
        `${USERS} users, ${PROJECTS.length} projects, sweeps of ${sweeps.map((sweep) => sweep.size).join(', ')}: filled in ${((performance.now() - filling) / 1000).toFixed(1)} s`,
    );

    const adminToken = `plz_${randomBytes(32).toString('base64url')}`;
    let base;
    ({ child, base } = await startApi(new URL(import.meta.url).pathname, { adminToken, runtime: { databaseUrl, redisUrl: services.redisUrl, s3: services.s3, buckets: { snapshots, inputs, mlflow }, limits: { snapshot: 1024 ** 3, input: 1024 ** 3 } } }, process.env.PLZ_BENCH_CPU_PROF));
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: new URLSearchParams({ user: 'admin', token: adminToken, next: '/executions' }).toString(),
    });
    if (login.status !== 303) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const open = async (path) => {
      const started = performance.now();
      const response = await fetch(`${base}${path}`, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
      const text = await response.text();
      return { ms: performance.now() - started, status: response.status, text };
    };
    const ask = (message, key) => askApi(child, message, key);
    /** The statements one request of `path` ran (its status checked). */
    const statementsOf = async (path) => {
      await ask('capture', 'capturing');
      const answer = await open(path);
      const queries = await ask('captured', 'queries');
      if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.text.slice(0, 300)}`);
      return { queries, text: answer.text };
    };
    /** The `?cursor=` link of a list page ("Older"). */
    const olderOf = (text) => {
      const match = /href="\/executions\?([^"]*cursor=[^"]*)"/.exec(text);
      return match ? `/executions?${match[1].replace(/&amp;/g, '&')}` : null;
    };

    const first = await open('/executions');
    const older = olderOf(first.text);
    if (!older) throw new Error('the executions page has no link to an older page');
    const pages = [
      ['executions', '/executions'],
      ['executions, project', '/executions?project=cifar'],
      ['executions, user (the most executions)', '/executions?user=user-01'],
      ['executions, state (succeeded)', '/executions?state=succeeded'],
      ['executions, state (running)', '/executions?state=running'],
      ['executions, sweep_id (100)', `/executions?sweep_id=${sweep100.id}`],
      ['executions, all four filters', `/executions?project=cifar&user=user-03&state=succeeded&sweep_id=${sweep100.id}`],
      ['executions, second page (cursor)', older],
      ['execution, queued', `/executions/${queued.id}`],
      ['execution, running', `/executions/${running.id}`],
      ['execution, succeeded', `/executions/${succeeded.id}`],
      ['sweeps', '/sweeps'],
      ['sweep of 100', `/sweeps/${sweep100.id}`],
      ['workers', '/workers'],
    ];
    log(`timing ${pages.length} pages: ${requests} requests each, one at a time, after ${warmUp} not counted; as a browser session of admin`);
    const results = [];
    for (const [name, path] of pages.filter(([name]) => !args.only || args.only.split(',').some((part) => name.includes(part)))) {
      const times = [];
      let failed = 0;
      let bytes = 0;
      let cpuBefore;
      for (let i = 0; i < warmUp + requests; i += 1) {
        if (i === warmUp) cpuBefore = await ask('cpu', 'cpu');
        const answer = await open(path);
        if (answer.status !== 200) {
          failed += 1;
          if (failed === 1) process.stderr.write(`${path}: ${answer.status} ${answer.text.slice(0, 300)}\n`);
        }
        if (i >= warmUp) times.push(answer.ms);
        bytes = answer.text.length;
      }
      const cpuMs = ((await ask('cpu', 'cpu')) - cpuBefore) / 1000 / requests;
      results.push({ name, path, ...stats(times), cpuMs, failed, bytes });
    }
    log(`machine at the end of the timing: ${machine()}`);
    log('');
    log(`| page | p50 ms | p95 ms | p99 ms | max ms | API CPU ms/request | KiB | p99 < ${TARGET_P99_MS} ms |`);
    log('|---|---|---|---|---|---|---|---|');
    for (const r of results) log(`| ${r.name} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${ms(r.cpuMs)} | ${(r.bytes / 1024).toFixed(0)} | ${r.p99 < TARGET_P99_MS ? 'yes' : 'NO'} |`);

    // Plans: the list page with each combination of its filters (first page, then the second page
    // through its cursor), and each of the other pages; every statement they ran on executions.
    const values = { project: 'cifar', user: 'user-03', state: 'succeeded', sweep_id: sweep100.id };
    const paths = [];
    for (let mask = 0; mask < 16; mask += 1) {
      const query = new URLSearchParams(Object.entries(values).filter((_, k) => mask & (1 << k)));
      paths.push(`/executions${query.size ? `?${query}` : ''}`);
    }
    const plans = [];
    const planOf = async (label, path) => {
      const { queries, text } = await statementsOf(path);
      for (const { sql, bindings } of queries) {
        if (!/\bexecutions\b/.test(sql) || !/^\s*(select|with)\b/i.test(sql)) continue;
        plans.push({ label, sql, ...(await explain(pgClient, sql, bindings)) });
      }
      return text;
    };
    for (const path of paths) {
      const text = await planOf(path, path);
      const next = olderOf(text);
      if (next) await planOf(`${path} (second page)`, next);
    }
    for (const [name, path] of pages) await planOf(name, path);

    log('');
    log(`${plans.length} statements on executions explained (EXPLAIN ANALYZE, BUFFERS):`);
    log('| page | plan ms | buffers | Seq Scan on executions | statement |');
    log('|---|---|---|---|---|');
    for (const plan of plans) log(`| ${plan.label} | ${plan.executionMs.toFixed(2)} | ${plan.buffers} | ${plan.seqScan ? 'YES' : 'no'} | ${plan.sql.replace(/\s+/g, ' ').slice(0, 110)} |`);
    for (const plan of plans.filter((one) => one.seqScan || args.plans)) log(`\n${plan.seqScan ? 'Seq Scan in ' : ''}${plan.label}:\n${plan.sql}\n${plan.text}`);
    log('');
    const checks = [
      ...results.map((r) => [`${r.name}: p99 under ${TARGET_P99_MS} ms (${ms(r.p99)} ms)`, r.p99 < TARGET_P99_MS]),
      [`no Seq Scan on executions in the ${plans.length} plans (${plans.filter((plan) => plan.seqScan).length} with one)`, plans.every((plan) => !plan.seqScan)],
      [`no failed request (${results.reduce((sum, r) => sum + r.failed, 0)})`, results.every((r) => r.failed === 0)],
    ];
    for (const [text, met] of checks) log(`${met ? 'met    ' : 'MISSED '} ${text}`);
    if (checks.some(([, met]) => !met)) exitCode = 1;
    log(
      JSON.stringify({
        benchmark: 'web-pages',
        executions: rows.length,
        requests,
        warmUp,
        cores: os.availableParallelism(),
        loadAverage: [loadAtStart, os.loadavg()[0]],
        targetP99Ms: TARGET_P99_MS,
        pages: results.map(({ name, p50, p95, p99, max, cpuMs, failed, bytes }) => ({ name, p50, p95, p99, max, cpuMs, failed, bytes })),
        plans: plans.map(({ label, executionMs, buffers, seqScan }) => ({ label, executionMs, buffers, seqScan })),
      }),
    );
  } catch (error) {
    process.stderr.write(`${error.stack ?? error}\n`);
    exitCode = 2;
  } finally {
    clearInterval(heartbeat);
    redis?.disconnect();
    s3.destroy();
    await stopApi(child);
    await pgClient?.end();
    await db?.destroy();
    await testkit.stopAll(stoppers);
  }
  process.exit(exitCode);
}

await (args.serve ? serveApi() : bench());
