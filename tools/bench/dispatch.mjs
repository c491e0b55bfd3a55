#!/usr/bin/env node
// Dispatch benchmark (issue 20): the time a worker takes to claim the next execution of a queue by
// fair share (`Dispatcher.claimNext`), with 10,000 executions waiting from 20 users, beside a plain
// first-in-first-out claim over the same rows, and how both grow with the number waiting.
//
//   npx tsc --build && node tools/bench/dispatch.mjs [--claims 500] [--sizes 1000,10000,100000]
//
// Starts PostgreSQL with the built testkit (tools/testkit/dist) unless PLZ_TEST_POSTGRES_URL points
// at a running one, and fills a fresh database per size. Prints the latencies per size, the plan of
// the dispatcher's statement (EXPLAIN ANALYZE, BUFFERS) at 10,000 waiting, and a JSON line. Exit
// status 1 when the target is missed: claimNext p95 over 10 ms at 10,000 waiting, a Seq Scan on
// executions in the dispatcher's plan at any size, or its buffers per (priority, user) pair waiting
// growing with the number waiting; 2 on an error.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import knex from 'knex';
import { defaultFairShare, Dispatcher, ExecutionStore, nextExecutionSql, nextExecutionStatement, runMigrations } from '@plz/lifecycle';
import { createDatabase, startTestServices, stopAll } from '@plz/testkit';
import { quantile } from './quantile.mjs';

const TARGET_P95_MS = 10;
const TARGET_SIZE = 10_000;
/**
 * Buffers the dispatcher's statement may touch per (priority, user) pair waiting at the largest
 * size, per buffer at the smallest: its cost follows the pairs (at most 3 × the users), not the
 * executions; a deeper index adds a level per probe.
 */
const BUFFER_GROWTH_LIMIT = 2;
const QUEUE = 'gpu';
const USERS = 20;
const WARM_UP_CLAIMS = 20;

const { values: args } = parseArgs({
  options: {
    claims: { type: 'string', default: '500' },
    sizes: { type: 'string', default: '1000,10000,100000' },
  },
});
const claims = Number(args.claims);
const sizes = args.sizes.split(',').map(Number);
for (const [name, value] of [['claims', claims], ...sizes.map((size) => ['sizes', size])]) {
  if (!Number.isInteger(value) || value < 100) throw new Error(`--${name} takes integers of at least 100, got ${args[name]}`);
}
if (!sizes.includes(TARGET_SIZE)) sizes.push(TARGET_SIZE);
sizes.sort((a, b) => a - b);

const log = (line) => process.stdout.write(`${line}\n`);
/** Cores and the 1-minute load average: tails of latencies follow what else the machine runs. */
const machine = () => `${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(2)}`;
const stats = (values) => ({ p50: quantile(values, 0.5), p95: quantile(values, 0.95), p99: quantile(values, 0.99), max: Math.max(...values) });
const ms = (value) => value.toFixed(2);

/** A seeded generator of numbers in [0, 1) (mulberry32), so every run fills the same rows. */
const seeded = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** A new queued execution (ExecutionStore.insert's shape) of `userId` at `priority` (0 high, 1 normal, 2 low). */
const newExecution = (userId, priority, queue = QUEUE) => ({
  id: randomUUID(),
  project: 'bench',
  name: null,
  tags: [],
  user_id: userId,
  queue,
  snapshot: 'a'.repeat(64),
  input: null,
  parameters: { lr: 0.001 },
  resources: { gpus: 1 },
  max_run_seconds: null,
  sweep_id: null,
  rerun_of: null,
  priority,
});

/**
 * Submissions of `n` waiting executions over the users, in a shuffled order: the first user's
 * sweep of n/2 at normal priority, the other half over the 19 others by 1/k (the second user has
 * about 1,400 of 10,000, the last about 70), in submissions of 1 to 40 at a random priority
 * (10 % high, 70 % normal, 20 % low).
 */
const submissions = (n, userIds, random) => {
  const sweep = Math.floor(n / 2);
  const weights = userIds.slice(1).map((_, k) => 1 / (k + 1));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const counts = weights.map((weight) => Math.max(1, Math.floor(((n - sweep) * weight) / total)));
  counts[0] += n - sweep - counts.reduce((sum, count) => sum + count, 0);
  const blocks = [{ userId: userIds[0], priority: 1, count: sweep }];
  counts.forEach((count, k) => {
    for (let left = count; left > 0; ) {
      const size = Math.min(left, 1 + Math.floor(random() * 40));
      const draw = random();
      blocks.push({ userId: userIds[k + 1], priority: draw < 0.1 ? 0 : draw < 0.8 ? 1 : 2, count: size });
      left -= size;
    }
  });
  for (let i = blocks.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [blocks[i], blocks[j]] = [blocks[j], blocks[i]];
  }
  return blocks.flatMap((block) => Array.from({ length: block.count }, () => newExecution(block.userId, block.priority)));
};

/** Inserts `rows` in statements of 1,000 (created_at increases in the order given). */
const insertAll = async (store, rows) => {
  for (let start = 0; start < rows.length; start += 1000) await store.insert(rows.slice(start, start + 1000));
};

/**
 * A fresh database with `n` executions waiting in QUEUE from 20 users (submissions above), and
 * around them what a deployment has: `n` ended executions of the queue, n/10 waiting in another
 * queue, executions the workers hold now (8 users, 1-3 each, taken 5 minutes to 2 hours ago) and
 * recorded use in `queue_usage` (12 users, some of the last 24 hour buckets each). Analysed, as
 * autovacuum would have by then.
 */
const populate = async (adminUrl, n) => {
  const db = knex({ client: 'pg', connection: await createDatabase(adminUrl, 'dispatch_bench'), pool: { min: 1, max: 4 } });
  await runMigrations(db);
  const store = new ExecutionStore(db);
  const random = seeded(20);
  const userIds = [];
  for (let k = 1; k <= USERS; k += 1) userIds.push(((await db('users').insert({ name: `user-${String(k).padStart(2, '0')}`, role: 'user' }).returning('id'))[0]).id);
  const pick = () => userIds[Math.floor(random() * USERS)];

  await insertAll(store, Array.from({ length: n }, () => newExecution(pick(), 1)));
  await db('executions').where({ state: 'queued' }).update({ state: 'succeeded', started_at: db.fn.now(), finished_at: db.fn.now(), exit_code: 0 });
  await insertAll(store, Array.from({ length: Math.ceil(n / 10) }, () => newExecution(pick(), 1, 'cpu')));
  const held = userIds.slice(0, 8).flatMap((userId, k) => Array.from({ length: 1 + (k % 3) }, () => newExecution(userId, 1)));
  await store.insert(held);
  for (const [k, row] of held.entries()) {
    await db('executions')
      .where({ id: row.id })
      .update({ state: 'running', worker_id: `held-${k}`, claimed_at: db.raw(`now() - make_interval(mins => ?)`, [5 + Math.floor(random() * 115)]), attempts: 1 });
  }
  const usage = userIds.slice(0, 12).flatMap((userId) =>
    Array.from({ length: 24 }, (_, hour) => hour)
      .filter(() => random() < 0.4)
      .map((hour) => ({ queue: QUEUE, user_id: userId, hour: db.raw(`date_trunc('hour', now()) - make_interval(hours => ?)`, [hour]), seconds: Math.round(random() * 3600), executions: 1 + Math.floor(random() * 20) })),
  );
  await db('queue_usage').insert(usage);
  await insertAll(store, submissions(n, userIds, random));
  await db.raw('VACUUM ANALYZE executions');
  await db.raw('VACUUM ANALYZE queue_usage');
  return db;
};

const fifoSql = `UPDATE executions SET state='preparing' WHERE id = (SELECT id FROM executions WHERE state='queued' AND queue=? ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id`;
const bindings = (settings) => [QUEUE, settings.window_seconds, settings.quantum_seconds, settings.max_running_per_user];

/** The plan of `sql` with its run time and buffers (EXPLAIN ANALYZE, BUFFERS), rolled back. */
const explain = async (db, sql, values) => {
  let rows;
  await db
    .transaction(async (trx) => {
      rows = (await trx.raw(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, values)).rows;
      throw new Error('rollback');
    })
    .catch((error) => {
      if (error.message !== 'rollback') throw error;
    });
  const lines = rows.map((row) => row['QUERY PLAN']);
  const text = lines.join('\n');
  const buffers = lines.find((line) => line.includes('Buffers:')) ?? '';
  const count = (kind) => Number(buffers.match(new RegExp(`${kind}=(\\d+)`))?.[1] ?? 0);
  return {
    text,
    seqScan: /Seq Scan on executions/.test(text),
    usesWaitingIndex: /executions_waiting/.test(text),
    buffers: count('hit') + count('read'),
    executionMs: Number(text.match(/Execution Time: ([\d.]+) ms/)?.[1]),
  };
};

/**
 * Claims `claims` executions by fair share and as many first-in-first-out, alternating (after
 * WARM_UP_CLAIMS of each, not counted), with the dispatcher's statement alone timed beside them.
 * Each claimed execution is ended at once (ExecutionStore.endTaken: the trigger records its use)
 * and its user submits another at the same priority, so `n` stay waiting. Times in ms.
 */
const measure = async (db) => {
  const store = new ExecutionStore(db);
  const dispatcher = new Dispatcher(db, defaultFairShare);
  const times = { fair: [], statement: [], fifo: [] };
  const replace = async (id) => {
    const row = await db('executions').where({ id }).first('user_id', 'priority');
    if (!(await store.endTaken(id, 'stopped', 'bench'))) throw new Error(`execution ${id} was not held`);
    await store.insert([newExecution(row.user_id, row.priority)]);
  };
  const timed = async (kind, claim) => {
    const started = performance.now();
    const id = await claim();
    times[kind].push(performance.now() - started);
    if (!id) throw new Error(`${kind}: nothing claimed`);
    return id;
  };
  const fair = () => timed('fair', async () => (await dispatcher.claimNext(QUEUE, 'bench-worker', ['0']))?.id);
  const fifo = () => timed('fifo', async () => (await db.raw(fifoSql, [QUEUE])).rows[0]?.id);
  for (let i = 0; i < WARM_UP_CLAIMS + claims; i += 1) {
    if (i === WARM_UP_CLAIMS) for (const list of Object.values(times)) list.length = 0;
    await timed('statement', async () => (await db.raw(nextExecutionSql, bindings(defaultFairShare)).options({ name: nextExecutionStatement })).rows[0]?.id);
    for (const claim of i % 2 === 0 ? [fair, fifo] : [fifo, fair]) await replace(await claim());
  }
  const [{ waiting, pairs }] = (
    await db.raw(`SELECT count(*)::integer AS waiting, count(DISTINCT (priority, user_id))::integer AS pairs FROM executions WHERE state = 'queued' AND queue = ?`, [QUEUE])
  ).rows;
  return { fair: stats(times.fair), statement: stats(times.statement), fifo: stats(times.fifo), waiting, pairs };
};

const stoppers = await startTestServices(new Set(['postgres']));
let exitCode = 0;
try {
  const adminUrl = process.env.PLZ_TEST_POSTGRES_URL;
  const results = [];
  const loadAtStart = os.loadavg()[0];
  log(`machine at the start: ${machine()}`);
  for (const n of sizes) {
    const filling = performance.now();
    const db = await populate(adminUrl, n);
    try {
      log(`${n} waiting from ${USERS} users: database filled in ${((performance.now() - filling) / 1000).toFixed(1)} s; ${claims} claims of each kind`);
      const result = { n, ...(await measure(db)), plan: await explain(db, nextExecutionSql, bindings(defaultFairShare)), fifoPlan: await explain(db, fifoSql, [QUEUE]) };
      results.push(result);
      if (n === TARGET_SIZE) log(`\nEXPLAIN (ANALYZE, BUFFERS) of the dispatcher's statement, ${n} waiting:\n${result.plan.text}\n`);
    } finally {
      await db.destroy();
    }
  }

  log(`machine at the end: ${machine()}`);
  log('latency in ms (claimNext: transaction, advisory lock, statement, claim; statement: nextExecutionSql alone, prepared as claimNext runs it; fifo: one UPDATE)');
  log('| waiting | pairs | claimNext p50 | p95 | p99 | max | statement p50 | p95 | plan ms | buffers | fifo p50 | p95 | p99 | max | fifo plan ms | fifo buffers |');
  log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const cells = [r.n, r.pairs, ...[r.fair.p50, r.fair.p95, r.fair.p99, r.fair.max, r.statement.p50, r.statement.p95, r.plan.executionMs].map(ms), r.plan.buffers];
    cells.push(...[r.fifo.p50, r.fifo.p95, r.fifo.p99, r.fifo.max, r.fifoPlan.executionMs].map(ms), r.fifoPlan.buffers);
    log(`| ${cells.join(' | ')} |`);
  }
  log('');

  const target = results.find((r) => r.n === TARGET_SIZE);
  const [smallest, largest] = [results[0], results.at(-1)];
  const perPair = (r) => r.plan.buffers / r.pairs;
  const checks = [
    [`claimNext p95 at ${TARGET_SIZE} waiting under ${TARGET_P95_MS} ms (${ms(target.fair.p95)} ms)`, target.fair.p95 < TARGET_P95_MS],
    [`no Seq Scan on executions in the dispatcher's plan (${results.filter((r) => r.plan.seqScan).map((r) => r.n).join(', ') || 'none'} with one)`, results.every((r) => !r.plan.seqScan)],
    [`the dispatcher's plan walks executions_waiting at every size`, results.every((r) => r.plan.usesWaitingIndex)],
    [
      `buffers per (priority, user) pair at ${largest.n} waiting at most ${BUFFER_GROWTH_LIMIT}x those at ${smallest.n} (${perPair(largest).toFixed(1)} vs ${perPair(smallest).toFixed(1)})`,
      perPair(largest) <= BUFFER_GROWTH_LIMIT * perPair(smallest),
    ],
    [`every size still had its executions waiting after the claims (${results.map((r) => r.waiting).join(', ')})`, results.every((r) => r.waiting === r.n)],
  ];
  for (const [text, met] of checks) log(`${met ? 'met    ' : 'MISSED '} ${text}`);
  if (checks.some(([, met]) => !met)) exitCode = 1;
  log(
    JSON.stringify({
      benchmark: 'dispatch',
      claims,
      cores: os.availableParallelism(),
      loadAverage: [loadAtStart, os.loadavg()[0]],
      targetP95Ms: TARGET_P95_MS,
      sizes: results.map((r) => ({ waiting: r.n, pairs: r.pairs, claimNext: r.fair, statement: r.statement, fifo: r.fifo, planMs: r.plan.executionMs, buffers: r.plan.buffers, seqScan: r.plan.seqScan, fifoPlanMs: r.fifoPlan.executionMs, fifoBuffers: r.fifoPlan.buffers })),
    }),
  );
} catch (error) {
  process.stderr.write(`${error.stack ?? error}\n`);
  exitCode = 2;
} finally {
  await stopAll(stoppers);
}
process.exit(exitCode);
