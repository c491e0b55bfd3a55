#!/usr/bin/env node
// Benchmark of the REST API: execution submit and status reads at 20 concurrent connections, beside
// a baseline (GET /health) measured in the same run, over real PostgreSQL, Redis and MinIO.
// Targets (issue 4), on 2 cores: submit p99 under 50 ms, status reads over 1000 per second.
//
// Usage (from the repository root, after `npx tsc --build`):
//   node tools/bench/restapi.mjs [--duration 10] [--connections 20] [--only baseline,status,submit] [--json]
// The API runs in a child process (so autocannon does not share its event loop), logging at `info`
// to /dev/null (the cost of logging is measured, its output is not shown). Exit status 1 when a
// target is missed, or when any request failed.
import { randomBytes, createHash } from 'node:crypto';
import os from 'node:os';
import { setInterval, clearInterval } from 'node:timers';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { askApi, serveApi, startApi, stopApi } from './api-child.mjs';

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
    only: { type: 'string', default: 'baseline,status,submit' },
  },
});

/** Node's fetch (a global since Node 18; taken from globalThis for the linter's sake). */
const { fetch } = globalThis;

/** CPU time (user + system, µs) the API's process has used so far. */
function apiCpu(child) {
  return askApi(child, 'cpu', 'cpu');
}

/** Runs autocannon once and keeps the figures of the table, with the API's CPU time per request. */
async function measure(child, title, options) {
  const before = await apiCpu(child);
  const result = await autocannon({ connections: Number(args.connections), duration: Number(args.duration), ...options, title });
  const cpu = (await apiCpu(child)) - before;
  return {
    title,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    cpu_us_per_request: Math.round(cpu / Math.max(1, result.requests.total)),
  };
}

async function bench() {
  const testkit = await import('@plz/testkit');
  const { heartbeatFields, heartbeatTtlSeconds, workerKey } = await import('@plz/contracts');
  const { Redis } = await import('ioredis');

  const started = Date.now();
  const loadBefore = os.loadavg();
  const stoppers = await testkit.startTestServices(new Set(['postgres', 'redis', 'minio']));
  let child;
  let base;
  let redis;
  let heartbeat;
  try {
    const services = testkit.testServices();
    const [databaseUrl, snapshots, inputs, mlflow] = await Promise.all([
      testkit.createDatabase(services.postgresUrl, 'bench'),
      testkit.createBucket(services.s3, 'bench-snapshots'),
      testkit.createBucket(services.s3, 'bench-inputs'),
      testkit.createBucket(services.s3, 'bench-mlflow'),
    ]);
    const adminToken = `plz_${randomBytes(32).toString('base64url')}`;
    ({ child, base } = await startApi(new URL(import.meta.url).pathname, {
      adminToken,
      runtime: {
        databaseUrl,
        redisUrl: services.redisUrl,
        s3: services.s3,
        buckets: { snapshots, inputs, mlflow },
        limits: { snapshot: 1024 ** 3, input: 1024 ** 3 },
      },
    }, process.env.PLZ_BENCH_CPU_PROF));
    const auth = { authorization: `Bearer ${adminToken}` };
    process.stderr.write(`[bench] services and API up in ${((Date.now() - started) / 1000).toFixed(1)} s; measuring ${args.duration} s per scenario at ${args.connections} connections\n`);

    // A live CPU worker, announced the way workers do (heartbeat hash, 30 s expiry), so that each
    // submit goes through every check (snapshot, worker) and is enqueued.
    redis = new Redis(services.redisUrl);
    const beat = async () => {
      const now = new Date().toISOString();
      const fields = heartbeatFields({ worker_id: 'bench-cpu', queue: 'cpu', gpus: [], execution_id: null, hostname: os.hostname(), started_at: now, heartbeat_at: now });
      await redis.multi().hset(workerKey('bench-cpu'), fields).expire(workerKey('bench-cpu'), heartbeatTtlSeconds).exec();
    };
    await beat();
    heartbeat = setInterval(() => void beat(), 5000);

    const content = randomBytes(64 * 1024);
    const snapshot = createHash('sha256').update(content).digest('hex');
    const upload = await fetch(`${base}/api/v1/snapshots/${snapshot}`, { method: 'PUT', headers: auth, body: content });
    if (upload.status !== 201) throw new Error(`snapshot upload failed: ${upload.status}`);
    const body = JSON.stringify({ project: 'bench', snapshot, parameters: { lr: 0.01, epochs: 10 }, resources: { gpus: 0, memory: '1g' } });
    const first = await fetch(`${base}/api/v1/executions`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
    if (first.status !== 201) throw new Error(`submit failed: ${first.status} ${await first.text()}`);
    const { id } = await first.json();

    // Warm-up (JIT, lazily loaded modules, connection pools), not reported.
    await autocannon({ url: `${base}/api/v1/executions/${id}/status`, headers: auth, connections: 5, duration: 2 });
    await autocannon({ url: `${base}/api/v1/executions`, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body, connections: 5, amount: 200 });

    const scenarios = {
      baseline: () => measure(child, 'baseline: GET /health', { url: `${base}/health` }),
      status: () => measure(child, 'status: GET /executions/{id}/status', { url: `${base}/api/v1/executions/${id}/status`, headers: auth }),
      submit: () => measure(child, 'submit: POST /executions', { url: `${base}/api/v1/executions`, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body }),
    };
    const results = {};
    for (const name of args.only.split(',')) {
      if (!scenarios[name]) throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
      results[name] = await scenarios[name]();
    }
    const rows = Object.values(results);
    const { status, submit } = results;
    const targets = [
      ...(submit ? [{ name: 'submit p99 < 50 ms', value: `${submit.p99} ms`, ok: submit.p99 < 50 }] : []),
      ...(status ? [{ name: 'status reads > 1000/s', value: `${status.rps}/s`, ok: status.rps > 1000 }] : []),
      { name: 'no failed requests', value: String(rows.reduce((sum, row) => sum + row.errors, 0)), ok: rows.every((row) => row.errors === 0) },
    ];
    const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}`;
    if (args.json) {
      console.log(JSON.stringify({ machine, load_average_before: loadBefore, connections: Number(args.connections), duration_s: Number(args.duration), rows, targets }, null, 2));
    } else {
      console.log(`\nREST API benchmark: ${args.connections} connections, ${args.duration} s each, ${machine}\n`);
      console.log(`${'scenario'.padEnd(40)}${'req/s'.padStart(8)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'requests'.padStart(10)}${'errors'.padStart(8)}${'API CPU µs/req'.padStart(16)}`);
      for (const row of rows) {
        console.log(
          `${row.title.padEnd(40)}${String(row.rps).padStart(8)}${String(row.p50).padStart(9)}${String(row.p99).padStart(9)}${String(row.requests).padStart(10)}${String(row.errors).padStart(8)}${String(row.cpu_us_per_request).padStart(16)}`,
        );
      }
      console.log(`\nload average before the run: ${loadBefore.map((value) => value.toFixed(1)).join(', ')} (other work on the machine skews latencies, not CPU per request)`);
      console.log('');
      for (const target of targets) console.log(`${target.ok ? 'met   ' : 'MISSED'}  ${target.name.padEnd(26)} ${target.value}`);
    }
    process.exitCode = targets.every((target) => target.ok) ? 0 : 1;
  } finally {
    clearInterval(heartbeat);
    redis?.disconnect();
    await stopApi(child);
    await testkit.stopAll(stoppers);
  }
}

await (args.serve ? serveApi() : bench());
