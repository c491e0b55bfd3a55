#!/usr/bin/env node
// Web view benchmark (issue 16): every page of the server-rendered web view answers in under
// 200 ms with 10,000 executions in the database, and no statement a page runs scans `executions`.
//
//   npx tsc --build && node tools/bench/web-pages.mjs [--requests 200] [--warm-up 20] [--executions 10000] [--plans]
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
// Exit status 1 when a page's p99 is 200 ms or more, a plan has a Seq Scan on executions, or a
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

const TARGET_P99_MS = 200;
const USERS = 12;
const PROJECTS = ['mnist', 'cifar', 'bert-finetune', 'speech', 'detection', 'rl-cartpole', 'tabular', 'segmentation'];
const QUEUES = ['gpu', 'gpu', 'gpu', 'gpu', 'gpu', 'gpu', 'gpu', 'cpu', 'cpu', 'gpu-x2'];
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
  },
});

/** Node's fetch (a global since Node 18; taken from globalThis for the linter's sake). */
const { fetch } = globalThis;

/**
 * Child process: the REST API (api-child.mjs). Between a 'capture' and a 'captured' message it
 * records the statements it sends to PostgreSQL (knex's `query` event: SQL with `?` placeholders and
 * the bindings) and answers them.
 */
async function serve() {
  let captured = null;
  const runtime = await serveApi((message) => {
    if (message === 'capture') {
      captured = [];
      process.send({ capturing: true });
    } else if (message === 'captured') {
      process.send({ queries: captured });
      captured = null;
    }
  });
  runtime.db.on('query', (query) => captured?.push({ sql: query.sql, bindings: query.bindings ?? [] }));
}

/** A seeded generator of numbers in [0, 1) (mulberry32), so every run fills the same rows. */
const seeded = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** A v4-shaped UUID from the seeded generator (ids sort like random UUIDs do). */
const uuidFrom = (random) => {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(random() * 4)];
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
};

/**
 * Measures as a worker harvests them (nested by path; an `epoch_<n>` level is the step): `epochs`
 * points of train loss and accuracy and of validation loss, and final figures; and the summary.
 */
const measuresOf = (random, epochs) => {
  const train = {};
  const val = {};
  let loss = 2 + random();
  for (let epoch = 1; epoch <= epochs; epoch += 1) {
    loss *= 0.9 + random() * 0.08;
    train[`epoch_${epoch}`] = { loss: Number(loss.toFixed(4)), accuracy: Number((1 - loss / 3).toFixed(4)) };
    val[`epoch_${epoch}`] = { loss: Number((loss * (1.05 + random() * 0.1)).toFixed(4)) };
  }
  const accuracy = Number((1 - loss / 3).toFixed(4));
  return { measures: { train, val, final: { accuracy, loss: Number(loss.toFixed(4)) } }, summary: { accuracy, loss: Number(loss.toFixed(4)), best_epoch: epochs } };
};

/**
 * The rows of `n` executions of USERS users over 120 days, ordered by creation, with the sweeps
 * they belong to. Sweeps: 1,000 (6 hours ago, mostly waiting), 100 (a day ago: ended, a few running
 * and waiting; the one the sweep page is timed on), 300, 50 and 20 (ended). The others are
 * submitted one to five at a time by users at 1/k weights (user-01 most), each user keeping to
 * two or three projects; those of the last hours still wait (or run), older ones ended (75 %
 * succeeded, 13 % failed, 7 % stopped, 5 % error). Ended executions ran for 1 to 120 minutes; 60 %
 * of succeeded and failed ones have measures of 10 to 100 epochs. 8 running executions in `gpu`
 * and 2 in `cpu` (the workers' own).
 */
const generate = (n, userIds, random) => {
  const now = Date.now();
  const hour = 3600_000;
  const day = 24 * hour;
  const pick = (list) => list[Math.floor(random() * list.length)];
  const weights = userIds.map((_, k) => 1 / (k + 1));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const pickUser = () => {
    let draw = random() * total;
    for (const [k, weight] of weights.entries()) if ((draw -= weight) < 0) return k;
    return userIds.length - 1;
  };
  const projectsOf = userIds.map((_, k) => [PROJECTS[k % PROJECTS.length], PROJECTS[(k * 3 + 1) % PROJECTS.length], PROJECTS[(k * 5 + 2) % PROJECTS.length]]);
  const sweeps = [
    { size: 1000, user: 0, project: 'bert-finetune', at: now - 6 * hour, states: { succeeded: 300, failed: 20, running: 4, queued: 676 } },
    { size: 100, user: 2, project: 'cifar', at: now - day, states: { succeeded: 80, failed: 8, running: 2, queued: 10 } },
    { size: 300, user: 1, project: 'speech', at: now - 20 * day, states: { succeeded: 270, failed: 30 } },
    { size: 50, user: 3, project: 'detection', at: now - 60 * day, states: { succeeded: 45, stopped: 5 } },
    { size: 20, user: 5, project: 'tabular', at: now - 90 * day, states: { succeeded: 20 } },
  ].map((sweep) => ({ ...sweep, id: uuidFrom(random) }));
  const rows = [];
  const base = (userIndex, project, createdAt, queue) => ({
    id: uuidFrom(random),
    project,
    name: random() < 0.3 ? `${project}-${Math.floor(random() * 1000)}` : null,
    tags: random() < 0.2 ? ['baseline'] : [],
    user_id: userIds[userIndex],
    queue,
    snapshot: randomBytes(32).toString('hex'),
    input: null,
    parameters: { lr: Number((10 ** -(2 + random() * 3)).toFixed(6)), batch_size: pick([32, 64, 128, 256]), epochs: pick([10, 20, 50, 100]), optimizer: pick(['adam', 'sgd', 'adamw']), dropout: Number((random() * 0.5).toFixed(2)), layers: [pick([128, 256, 512]), pick([64, 128])] },
    resources: { gpus: queue === 'cpu' ? 0 : queue === 'gpu' ? 1 : 2, memory: pick(['8g', '16g', '32g']) },
    max_run_seconds: random() < 0.3 ? 86_400 : null,
    sweep_id: null,
    rerun_of: null,
    priority: random() < 0.1 ? 0 : random() < 0.85 ? 1 : 2,
    created_at: new Date(createdAt),
  });
  for (const sweep of sweeps) {
    const states = Object.entries(sweep.states).flatMap(([state, count]) => Array.from({ length: count }, () => state));
    states.forEach((state, k) => rows.push({ ...base(sweep.user, sweep.project, sweep.at + k * 5, 'gpu'), sweep_id: sweep.id, priority: 1, state, parameters: { lr: Number((10 ** -(2 + (k % 10) / 3)).toFixed(6)), batch_size: [32, 64, 128, 256][k % 4], seed: k } }));
  }
  const standalone = n - rows.length;
  const first = rows.length;
  for (let made = 0; made < standalone; ) {
    const ago = ((standalone - made) / standalone) * 120 * day;
    const userIndex = pickUser();
    const project = pick(projectsOf[userIndex]);
    const queue = pick(QUEUES);
    for (let k = Math.min(1 + Math.floor(random() * 5), standalone - made); k > 0; k -= 1, made += 1) {
      const draw = random();
      const state = draw < 0.75 ? 'succeeded' : draw < 0.88 ? 'failed' : draw < 0.95 ? 'stopped' : 'error';
      rows.push({ ...base(userIndex, project, now - ago + k * 1000, queue), state });
    }
  }
  // The newest 50 of them were submitted in the last 3 hours: 2 run in gpu, 2 in cpu, the others wait.
  rows.slice(-50).forEach((row, k) => {
    row.created_at = new Date(now - 3 * hour + k * 200_000);
    row.state = k < 4 ? 'running' : 'queued';
    if (k < 4) Object.assign(row, { queue: k < 2 ? 'gpu' : 'cpu', resources: { ...row.resources, gpus: k < 2 ? 1 : 0 } });
  });
  if (rows.length - first !== standalone) throw new Error('miscounted');
  rows.sort((a, b) => a.created_at - b.created_at);
  const experimentOf = new Map(PROJECTS.map((project, k) => [project, String(k + 1)]));
  let worker = 0;
  for (const row of rows) {
    if (row.state === 'queued') continue;
    row.mlflow_experiment_id = experimentOf.get(row.project);
    row.mlflow_run_id = row.id.replace(/-/g, '');
    row.attempts = 1;
    const startedAt = row.created_at.getTime() + 2000 + random() * 60_000;
    row.started_at = new Date(startedAt);
    row.claimed_at = new Date(startedAt - 1000);
    row.gpus = row.queue === 'cpu' ? [] : row.queue === 'gpu' ? ['0'] : ['0', '1'];
    if (row.state === 'running') {
      row.worker_id = `worker-${row.queue}-${(worker += 1)}`;
      continue;
    }
    row.worker_id = `worker-${row.queue}-${1 + Math.floor(random() * 8)}`;
    row.finished_at = new Date(Math.min(now - 60_000, startedAt + 60_000 + random() * 119 * 60_000));
    row.exit_code = row.state === 'succeeded' ? 0 : row.state === 'failed' ? 1 : row.state === 'stopped' ? 137 : null;
    if (row.state === 'error') row.error = 'the container could not start: image build failed';
    if ((row.state === 'succeeded' || row.state === 'failed') && random() < 0.6) Object.assign(row, measuresOf(random, 10 + Math.floor(random() * 91)));
  }
  return { rows, sweeps };
};

/** A row as INSERT takes it (JSON columns as text). */
const toInsert = (row) => {
  const out = { ...row };
  for (const column of ['tags', 'input', 'parameters', 'resources', 'gpus', 'measures', 'summary']) if (out[column] !== undefined && out[column] !== null) out[column] = JSON.stringify(out[column]);
  return out;
};

/**
 * A fresh database with the executions of `generate`, their sweeps, users and recorded use of the
 * queues (12 users, some of the last 24 hour buckets each, as in tools/bench/dispatch.mjs), then
 * `VACUUM ANALYZE`, as autovacuum would have done by then.
 */
async function populate(db, n, random) {
  const userIds = [];
  for (let k = 1; k <= USERS; k += 1) userIds.push((await db('users').insert({ name: `user-${String(k).padStart(2, '0')}`, role: 'user' }).returning('id'))[0].id);
  const { rows, sweeps } = generate(n, userIds, random);
  await db('sweeps').insert(sweeps.map((sweep) => ({ id: sweep.id, project: sweep.project, user_id: userIds[sweep.user], spec: JSON.stringify({ project: sweep.project, parameters: { lr: [0.01, 0.001] } }), created_at: new Date(sweep.at - 1000) })));
  for (let start = 0; start < rows.length; start += 1000) await db('executions').insert(rows.slice(start, start + 1000).map(toInsert));
  const usage = userIds.flatMap((userId) =>
    ['gpu', 'cpu'].flatMap((queue) =>
      Array.from({ length: 24 }, (_, hour) => hour)
        .filter(() => random() < 0.4)
        .map((hour) => ({ queue, user_id: userId, hour: db.raw(`date_trunc('hour', now()) - make_interval(hours => ?)`, [hour]), seconds: Math.round(random() * 3600), executions: 1 + Math.floor(random() * 20) })),
    ),
  );
  await db('queue_usage').insert(usage);
  await db.raw('VACUUM ANALYZE');
  return { rows, sweeps, userIds };
}

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

/**
 * The plan of `sql` (EXPLAIN ANALYZE, BUFFERS) with its run time, buffers and whether it scans
 * executions. `sql` is as knex sent it to PostgreSQL ($1 placeholders), so it goes through pg.
 */
async function explain(client, sql, bindings) {
  const rows = (await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, bindings)).rows;
  const text = rows.map((row) => row['QUERY PLAN']).join('\n');
  const buffers = text.split('\n').find((line) => line.includes('Buffers:')) ?? '';
  const count = (kind) => Number(buffers.match(new RegExp(`${kind}=(\\d+)`))?.[1] ?? 0);
  return { text, seqScan: /Seq Scan on executions/.test(text), buffers: count('hit') + count('read'), executionMs: Number(text.match(/Execution Time: ([\d.]+) ms/)?.[1]) };
}

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

await (args.serve ? serve() : bench());
