#!/usr/bin/env node
// Growth benchmark (issue 17, item 6): with 100,000 executions stored, the REST API's reads behind
// `plz list`, `plz describe` and `plz status` answer in under 100 ms at the 99th percentile, every
// statement they run is an index walk (EXPLAIN), and `plz history` of a 10,000-execution project
// streams to its last row in under 2 s with flat memory in the REST API and in the CLI.
// (The web view's pages at the same size: `node tools/bench/web-pages.mjs --executions 100000 --target-ms 100`.)
//
//   npx tsc --build && node tools/bench/growth.mjs [--executions 100000] [--requests 200] [--warm-up 20] [--history-runs 3] [--plans]
//   node tools/bench/growth.mjs --only history          # only the scenarios whose names contain these
//   node tools/bench/growth.mjs --only history --cli OTHER/cli/dist/index.js   # another build of the CLI (a before)
//   node tools/bench/growth.mjs --only history --history-into cat    # plz history | cat > FILE (default: plz history > FILE; pipe: read by this process)
//
// Starts PostgreSQL, Redis and MinIO with the built testkit (or reuses those named by the PLZ_TEST_*
// variables), fills a fresh database with the seeded executions of executions-fill.mjs (the same rows
// as web-pages.mjs), runs the REST API in a child process (api-child.mjs) and times each read one
// request at a time with the admin's token, `--requests` times after `--warm-up` not counted. Then
// every SELECT on executions those reads sent is run again under EXPLAIN (ANALYZE, BUFFERS). Then
// `GET /api/v1/history` of the project closest to 10,000 executions: to its last byte with fetch,
// and as users run it, `node cli/dist/index.js history --project P > FILE` under /usr/bin/time (peak
// RSS), its output checked (every execution of the project once, oldest first); the REST API's
// RSS is sampled every 5 ms meanwhile. The same for the largest project, to show that neither
// process grows with the size of the history. Prints tables and a JSON line. Exit status 1 when a
// target is missed or a plan has a Seq Scan on executions; 2 on an error.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { URLSearchParams } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { askApi, serveApi, startApi, stopApi } from './api-child.mjs';
import { explain, populate, seeded } from './executions-fill.mjs';
import { quantile } from './quantile.mjs';

const TARGET_P99_MS = 100;
const TARGET_HISTORY_S = 2;
const HISTORY_SIZE = 10_000;

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    executions: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '200' },
    'warm-up': { type: 'string', default: '20' },
    'history-runs': { type: 'string', default: '3' },
    plans: { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
    cli: { type: 'string', default: 'cli/dist/index.js' },
    'history-into': { type: 'string', default: 'file' },
  },
});

/** Node's fetch (a global since Node 18; taken from globalThis for the linter's sake). */
const { fetch } = globalThis;
const run = promisify(execFile);
const log = (line) => process.stdout.write(`${line}\n`);
const machine = () => `${os.availableParallelism()} cores, load average ${os.loadavg().map((value) => value.toFixed(2)).join(' ')}`;
const stats = (values) => ({ p50: quantile(values, 0.5), p95: quantile(values, 0.95), p99: quantile(values, 0.99), max: Math.max(...values) });
const ms = (value) => value.toFixed(1);
const mib = (bytes) => (bytes / 1024 ** 2).toFixed(0);
const median = (values) => quantile(values, 0.5);
const wanted = (name) => !args.only || args.only.split(',').some((part) => name.includes(part));

async function bench() {
  const testkit = await import('@plz/testkit');
  const { runMigrations } = await import('@plz/lifecycle');
  const { default: knex } = await import('knex');
  const { default: pg } = await import('pg');
  const requests = Number(args.requests);
  const warmUp = Number(args['warm-up']);
  const n = Number(args.executions);
  const historyRuns = Number(args['history-runs']);
  for (const [name, value, least] of [['requests', requests, 10], ['warm-up', warmUp, 0], ['executions', n, 2000], ['history-runs', historyRuns, 1]]) {
    if (!Number.isInteger(value) || value < least) throw new Error(`--${name} takes an integer of at least ${least}, got ${args[name]}`);
  }
  if (!['file', 'cat', 'pipe'].includes(args['history-into'])) throw new Error(`--history-into takes file, cat or pipe, got ${args['history-into']}`);
  const loadAtStart = os.loadavg();
  log(`machine at the start: ${machine()}`);
  const stoppers = await testkit.startTestServices(new Set(['postgres', 'redis', 'minio']));
  let child;
  let db;
  let pgClient;
  let exitCode = 0;
  const home = mkdtempSync(path.join(os.tmpdir(), 'plz-growth-'));
  try {
    const services = testkit.testServices();
    const [databaseUrl, snapshots, inputs, mlflow] = await Promise.all([
      testkit.createDatabase(services.postgresUrl, 'growth_bench'),
      testkit.createBucket(services.s3, 'growth-bench-snapshots'),
      testkit.createBucket(services.s3, 'growth-bench-inputs'),
      testkit.createBucket(services.s3, 'growth-bench-mlflow'),
    ]);
    db = knex({ client: 'pg', connection: databaseUrl, pool: { min: 1, max: 4 } });
    await runMigrations(db);
    pgClient = new pg.Client({ connectionString: databaseUrl });
    await pgClient.connect();
    const filling = performance.now();
    const { rows, sweeps, timings } = await populate(db, n, seeded(16));
    const fillSeconds = (performance.now() - filling) / 1000;
    const projectSizes = new Map();
    for (const row of rows) projectSizes.set(row.project, (projectSizes.get(row.project) ?? 0) + 1);
    const bySize = [...projectSizes.entries()].sort((a, b) => a[1] - b[1]);
    log(`${rows.length} executions filled in ${fillSeconds.toFixed(1)} s (${JSON.stringify(timings)}); projects: ${bySize.map(([name, size]) => `${name} ${size}`).join(', ')}`);

    const adminToken = `plz_${randomBytes(32).toString('base64url')}`;
    let base;
    ({ child, base } = await startApi(new URL(import.meta.url).pathname, { adminToken, runtime: { databaseUrl, redisUrl: services.redisUrl, s3: services.s3, buckets: { snapshots, inputs, mlflow }, limits: { snapshot: 1024 ** 3, input: 1024 ** 3 } } }));
    const auth = { authorization: `Bearer ${adminToken}` };
    const ask = (message, key) => askApi(child, message, key);
    const get = async (pathAndQuery) => {
      const started = performance.now();
      const response = await fetch(`${base}${pathAndQuery}`, { headers: auth });
      const text = await response.text();
      return { ms: performance.now() - started, status: response.status, text };
    };
    const json = async (pathAndQuery) => {
      const answer = await get(pathAndQuery);
      if (answer.status !== 200) throw new Error(`${pathAndQuery}: ${answer.status} ${answer.text.slice(0, 300)}`);
      return JSON.parse(answer.text);
    };
    const list = (query) => `/api/v1/executions?${new URLSearchParams(query)}`;
    /** The `depth`-th page of `query` (1: the first), through the cursors of the pages before. */
    const pageAt = async (query, depth) => {
      let cursor = null;
      for (let page = 1; page < depth; page += 1) {
        cursor = (await json(list({ ...query, ...(cursor ? { cursor } : {}) }))).next_cursor;
        if (!cursor) throw new Error(`${list(query)} has fewer than ${depth} pages`);
      }
      return list({ ...query, ...(cursor ? { cursor } : {}) });
    };

    // What the CLI asks: `plz list` (its project, 20 rows; --all-projects, --state, --user),
    // `plz describe` and `plz status` with an id, and without one (the caller's last execution).
    const history = bySize.reduce((best, entry) => (Math.abs(entry[1] - HISTORY_SIZE) < Math.abs(best[1] - HISTORY_SIZE) ? entry : best));
    const project = history[0];
    const newest = (predicate) => rows.findLast(predicate);
    const oldest = (predicate) => rows.find(predicate);
    const queued = newest((row) => row.state === 'queued' && row.queue === 'gpu');
    const recent = newest((row) => row.state === 'succeeded' && row.measures);
    const old = oldest((row) => row.state === 'succeeded' && row.measures);
    const rareUser = 'user-12';
    const rareUserProject = [...new Set(rows.filter((row) => row.project !== project).map((row) => row.project))][0];
    const sweep100 = sweeps.find((sweep) => sweep.size === 100);
    /** A page deep in the project's list: the 200th, or the last but one of a smaller project. */
    const deep = Math.max(2, Math.min(200, Math.floor(history[1] / 20) - 1));
    const scenarios = [
      ['list: project (plz list)', list({ project, limit: '20' })],
      ['list: project, page 2 (cursor)', await pageAt({ project, limit: '20' }, 2)],
      [`list: project, page ${deep} (cursor)`, await pageAt({ project, limit: '20' }, deep)],
      ['list: every project (--all-projects)', list({ limit: '20' })],
      ['list: every project, page 2 (cursor)', await pageAt({ limit: '20' }, 2)],
      ['list: project, state=failed', list({ project, state: 'failed', limit: '20' })],
      ['list: project, state=failed, page 2', await pageAt({ project, state: 'failed', limit: '20' }, 2)],
      ['list: state=error, user-01', list({ state: 'error', user: 'user-01', limit: '20' })],
      ['list: project, user-01, 500 rows', list({ project, user: 'user-01', limit: '500' })],
      [`list: ${rareUserProject}, user ${rareUser}`, list({ project: rareUserProject, user: rareUser, limit: '20' })],
      ['list: state=running', list({ state: 'running', limit: '20' })],
      ['list: sweep of 100', list({ sweep_id: sweep100.id, limit: '20' })],
      ['list: user-01, 1 row (describe/status without an id)', list({ user: 'user-01', limit: '1' })],
      ['describe: succeeded, 120 days old', `/api/v1/executions/${old.id}`],
      ['describe: succeeded, recent', `/api/v1/executions/${recent.id}`],
      ['describe: queued', `/api/v1/executions/${queued.id}`],
      ['status: succeeded (plz status)', `/api/v1/executions/${old.id}/status?position=true`],
      ['status: queued, with its position (plz status)', `/api/v1/executions/${queued.id}/status?position=true`],
    ].filter(([name]) => wanted(name));

    const results = [];
    if (scenarios.length) log(`timing ${scenarios.length} reads: ${requests} requests each, one at a time, after ${warmUp} not counted`);
    for (const [name, pathAndQuery] of scenarios) {
      const times = [];
      let failed = 0;
      let bytes = 0;
      let cpuBefore;
      for (let i = 0; i < warmUp + requests; i += 1) {
        if (i === warmUp) cpuBefore = await ask('cpu', 'cpu');
        const answer = await get(pathAndQuery);
        if (answer.status !== 200) {
          failed += 1;
          if (failed === 1) process.stderr.write(`${pathAndQuery}: ${answer.status} ${answer.text.slice(0, 300)}\n`);
        }
        if (i >= warmUp) times.push(answer.ms);
        bytes = answer.text.length;
      }
      const cpuMs = ((await ask('cpu', 'cpu')) - cpuBefore) / 1000 / requests;
      results.push({ name, path: pathAndQuery, ...stats(times), cpuMs, failed, bytes });
    }
    if (results.length) {
      log(`machine at the end of the timing: ${machine()}`);
      log('');
      log(`| read | p50 ms | p95 ms | p99 ms | max ms | API CPU ms/request | KiB | p99 < ${TARGET_P99_MS} ms |`);
      log('|---|---|---|---|---|---|---|---|');
      for (const r of results) log(`| ${r.name} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${ms(r.cpuMs)} | ${(r.bytes / 1024).toFixed(0)} | ${r.p99 < TARGET_P99_MS ? 'yes' : 'NO'} |`);
    }

    // Plans of every statement on executions that those reads (and history's batches) ran.
    const plans = [];
    const planOf = async (label, pathAndQuery) => {
      await ask('capture', 'capturing');
      const answer = await get(pathAndQuery);
      const queries = await ask('captured', 'queries');
      if (answer.status !== 200) throw new Error(`${pathAndQuery}: ${answer.status}`);
      for (const { sql, bindings } of queries) {
        if (!/\bexecutions\b/.test(sql) || !/^\s*(select|with)\b/i.test(sql)) continue;
        const plan = { label, sql, ...(await explain(pgClient, sql, bindings)) };
        if (!plans.some((one) => one.sql === sql && one.label.startsWith('history') && label.startsWith('history'))) plans.push(plan);
      }
    };
    for (const [name, pathAndQuery] of scenarios) await planOf(name, pathAndQuery);
    if (wanted('history')) await planOf(`history of ${project}`, `/api/v1/history?project=${project}`);
    log('');
    log(`${plans.length} statements on executions explained (EXPLAIN ANALYZE, BUFFERS):`);
    log('| read | plan ms | buffers | Seq Scan on executions | statement |');
    log('|---|---|---|---|---|');
    for (const plan of plans) log(`| ${plan.label} | ${plan.executionMs.toFixed(2)} | ${plan.buffers} | ${plan.seqScan ? 'YES' : 'no'} | ${plan.sql.replace(/\s+/g, ' ').slice(0, 110)} |`);
    for (const plan of plans.filter((one) => one.seqScan || args.plans)) log(`\n${plan.seqScan ? 'Seq Scan in ' : ''}${plan.label}:\n${plan.sql}\n${plan.text}`);

    // History: the project closest to HISTORY_SIZE executions, and the largest one.
    const histories = [];
    /**
     * `/usr/bin/time` running `plz history` (`timeArgs`), its output written as `plz history > FILE`
     * does (`--history-into file`, the default: this process, which holds every seeded row, only
     * reads the file afterwards), through a pipe into `cat > FILE` (`--history-into cat`, as
     * `plz history | …`), or read through a pipe into this process (`--history-into pipe`: then
     * this process's own garbage collection, with a heap of 100,000 rows, can hold the CLI's writes
     * back). Resolves with the output's text and /usr/bin/time's report.
     */
    const runHistory = async (timeArgs, options) => {
      if (args['history-into'] === 'pipe') return run('/usr/bin/time', timeArgs, { ...options, maxBuffer: 1024 ** 3 });
      const file = path.join(home, 'history.json');
      const fd = openSync(file, 'w');
      try {
        const child =
          args['history-into'] === 'cat'
            ? spawn('/bin/sh', ['-c', '"$@" | cat >&3', 'sh', '/usr/bin/time', ...timeArgs], { ...options, stdio: ['ignore', 'ignore', 'pipe', fd] })
            : spawn('/usr/bin/time', timeArgs, { ...options, stdio: ['ignore', fd, 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
        const [code] = await once(child, 'close');
        if (code !== 0) throw new Error(`plz history exited ${code}: ${stderr.slice(-2000)}`);
        return { stdout: readFileSync(file, 'utf8'), stderr };
      } finally {
        closeSync(fd);
        rmSync(file, { force: true });
      }
    };
    if (wanted('history')) {
      const cliEntry = path.resolve(args.cli);
      const env = { PATH: process.env.PATH ?? '', HOME: home, XDG_CACHE_HOME: path.join(home, 'cache'), PLZ_URL: base, PLZ_TOKEN: adminToken };
      for (const [name, size] of [history, bySize.at(-1)]) {
        const expected = rows.filter((row) => row.project === name).map((row) => row.id);
        for (let k = 0; k < historyRuns; k += 1) {
          // Through fetch: time to the first and the last byte, the API's peak RSS.
          await ask('rss-watch', 'watching');
          const cpuBefore = await ask('cpu', 'cpu');
          const started = performance.now();
          const response = await fetch(`${base}/api/v1/history?project=${name}`, { headers: auth });
          let firstByteMs = null;
          let bytes = 0;
          for await (const chunk of response.body) {
            firstByteMs ??= performance.now() - started;
            bytes += chunk.length;
          }
          const apiSeconds = (performance.now() - started) / 1000;
          const apiCpuMs = ((await ask('cpu', 'cpu')) - cpuBefore) / 1000;
          const apiRss = await ask('rss-peak', 'rss');
          // Through the CLI, as users run it, under /usr/bin/time.
          await ask('rss-watch', 'watching');
          const cliStarted = performance.now();
          const { stdout, stderr } = await runHistory(['-f', 'PLZ_BENCH_TIME %e %M %U %S', process.execPath, cliEntry, 'history', '--project', name], { env, cwd: home });
          const cliSeconds = (performance.now() - cliStarted) / 1000;
          const apiRssCli = await ask('rss-peak', 'rss');
          const [, peakKib, user, system] = /PLZ_BENCH_TIME [\d.]+ (\d+) ([\d.]+) ([\d.]+)/.exec(stderr) ?? [];
          const cliPeak = Number(peakKib) * 1024;
          const cliCpuSeconds = Number(user) + Number(system);
          const ids = Object.keys(JSON.parse(stdout));
          const inOrder = ids.length === expected.length && ids.every((id, index) => id === expected[index]);
          histories.push({ project: name, executions: size, run: k + 1, firstByteMs, apiSeconds, apiCpuMs, bytes, apiRssBefore: apiRss.before, apiPeak: apiRss.peak, apiPeakCli: apiRssCli.peak, cliSeconds, cliCpuSeconds, cliPeak, inOrder });
        }
      }
      log('');
      log(`history (GET /api/v1/history; plz history): ${historyRuns} runs each`);
      log('| project | executions | MiB | run | fetch: first byte ms | fetch: last byte s | API CPU s | plz history s | CLI CPU s | API RSS before, peak (fetch), peak (CLI) MiB | CLI peak RSS MiB | all rows, in order |');
      log('|---|---|---|---|---|---|---|---|---|---|---|---|');
      for (const h of histories) log(`| ${h.project} | ${h.executions} | ${mib(h.bytes)} | ${h.run} | ${ms(h.firstByteMs)} | ${h.apiSeconds.toFixed(2)} | ${(h.apiCpuMs / 1000).toFixed(2)} | ${h.cliSeconds.toFixed(2)} | ${h.cliCpuSeconds.toFixed(2)} | ${mib(h.apiRssBefore)}, ${mib(h.apiPeak)}, ${mib(h.apiPeakCli)} | ${mib(h.cliPeak)} | ${h.inOrder ? 'yes' : 'NO'} |`);
    }
    log(`machine at the end: ${machine()}`);
    log('');
    const target = histories.filter((h) => h.project === project);
    const checks = [
      ...results.map((r) => [`${r.name}: p99 under ${TARGET_P99_MS} ms (${ms(r.p99)} ms)`, r.p99 < TARGET_P99_MS]),
      [`no Seq Scan on executions in the ${plans.length} plans (${plans.filter((plan) => plan.seqScan).length} with one)`, plans.every((plan) => !plan.seqScan)],
      [`no failed request (${results.reduce((sum, r) => sum + r.failed, 0)})`, results.every((r) => r.failed === 0)],
      ...(target.length
        ? [
            [`plz history of ${project} (${history[1]} executions) under ${TARGET_HISTORY_S} s (median ${median(target.map((h) => h.cliSeconds)).toFixed(2)} s)`, median(target.map((h) => h.cliSeconds)) < TARGET_HISTORY_S],
            [`every history had every row once, in order`, histories.every((h) => h.inOrder)],
          ]
        : []),
    ];
    for (const [text, met] of checks) log(`${met ? 'met    ' : 'MISSED '} ${text}`);
    if (checks.some(([, met]) => !met)) exitCode = 1;
    log(
      JSON.stringify({
        benchmark: 'growth',
        executions: rows.length,
        fillSeconds,
        requests,
        warmUp,
        cores: os.availableParallelism(),
        loadAverage: [loadAtStart, os.loadavg()],
        targetP99Ms: TARGET_P99_MS,
        reads: results.map(({ name, p50, p95, p99, max, cpuMs, failed, bytes }) => ({ name, p50, p95, p99, max, cpuMs, failed, bytes })),
        plans: plans.map(({ label, executionMs, buffers, seqScan }) => ({ label, executionMs, buffers, seqScan })),
        histories,
      }),
    );
  } catch (error) {
    process.stderr.write(`${error.stack ?? error}\n`);
    exitCode = 2;
  } finally {
    await stopApi(child);
    await pgClient?.end();
    await db?.destroy();
    await testkit.stopAll(stoppers);
    rmSync(home, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

await (args.serve ? serveApi() : bench());
