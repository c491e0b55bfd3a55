// Shared by the benchmarks that need a database of executions (web-pages.mjs, growth.mjs): a seeded
// generator of executions as users make them, a fast bulk fill, and EXPLAIN of captured statements.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export const USERS = 12;
export const PROJECTS = ['mnist', 'cifar', 'bert-finetune', 'speech', 'detection', 'rl-cartpole', 'tabular', 'segmentation'];
export const QUEUES = ['gpu', 'gpu', 'gpu', 'gpu', 'gpu', 'gpu', 'gpu', 'cpu', 'cpu', 'gpu-x2'];

/** A seeded generator of numbers in [0, 1) (mulberry32), so every run fills the same rows. */
export const seeded = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** A v4-shaped UUID from the seeded generator (ids sort like random UUIDs do). */
export const uuidFrom = (random) => {
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
export const generate = (n, userIds, random) => {
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

/** Columns of `executions` that `generate` sets (others keep their defaults). */
const COLUMNS = ['id', 'project', 'name', 'tags', 'user_id', 'state', 'queue', 'snapshot', 'input', 'parameters', 'resources', 'max_run_seconds', 'sweep_id', 'rerun_of', 'priority', 'created_at', 'mlflow_experiment_id', 'mlflow_run_id', 'attempts', 'started_at', 'claimed_at', 'gpus', 'worker_id', 'finished_at', 'exit_code', 'error', 'measures', 'summary'];
/** Rows per INSERT statement (one JSON parameter of about 10-20 MB). */
const BATCH = 5000;

/**
 * Inserts `rows` into `executions`, BATCH at a time, each batch one statement with one parameter:
 * the rows as a JSON array, expanded by `json_populate_recordset` (about 10 times faster than
 * knex's multi-row VALUES with 28 bindings a row; 100,000 rows in seconds). A key a row lacks is
 * NULL, except `attempts` (0). The indexes of `executions` but its primary key are dropped first and
 * made again at the end (their definitions as the migrations left them, from pg_indexes).
 */
async function insertExecutions(db, rows) {
  const list = COLUMNS.join(', ');
  const select = COLUMNS.map((column) => (column === 'attempts' ? 'coalesce(attempts, 0)' : column)).join(', ');
  // The secondary indexes are built once at the end (as a bulk load does), not row by row.
  const { rows: indexes } = await db.raw(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'executions' AND indexname <> 'executions_pkey'`);
  for (const { indexname } of indexes) await db.raw(`DROP INDEX ${indexname}`);
  for (let start = 0; start < rows.length; start += BATCH) {
    await db.raw(`INSERT INTO executions (${list}) SELECT ${select} FROM json_populate_recordset(NULL::executions, ?::json)`, [JSON.stringify(rows.slice(start, start + BATCH))]);
  }
  for (const { indexdef } of indexes) await db.raw(indexdef);
}

/**
 * A fresh database with the executions of `generate`, their sweeps, users and recorded use of the
 * queues (12 users, some of the last 24 hour buckets each, as in tools/bench/dispatch.mjs), then
 * `VACUUM ANALYZE`, as autovacuum would have done by then. `timings`: seconds spent generating,
 * inserting and in VACUUM ANALYZE.
 */
export async function populate(db, n, random) {
  const userIds = [];
  for (let k = 1; k <= USERS; k += 1) userIds.push((await db('users').insert({ name: `user-${String(k).padStart(2, '0')}`, role: 'user' }).returning('id'))[0].id);
  const began = performance.now();
  const { rows, sweeps } = generate(n, userIds, random);
  const generated = performance.now();
  await db('sweeps').insert(sweeps.map((sweep) => ({ id: sweep.id, project: sweep.project, user_id: userIds[sweep.user], spec: JSON.stringify({ project: sweep.project, parameters: { lr: [0.01, 0.001] } }), created_at: new Date(sweep.at - 1000) })));
  await insertExecutions(db, rows);
  const inserted = performance.now();
  const usage = userIds.flatMap((userId) =>
    ['gpu', 'cpu'].flatMap((queue) =>
      Array.from({ length: 24 }, (_, hour) => hour)
        .filter(() => random() < 0.4)
        .map((hour) => ({ queue, user_id: userId, hour: db.raw(`date_trunc('hour', now()) - make_interval(hours => ?)`, [hour]), seconds: Math.round(random() * 3600), executions: 1 + Math.floor(random() * 20) })),
    ),
  );
  await db('queue_usage').insert(usage);
  await db.raw('VACUUM ANALYZE');
  const seconds = (from, to) => Number(((to - from) / 1000).toFixed(1));
  return { rows, sweeps, userIds, timings: { generate: seconds(began, generated), insert: seconds(generated, inserted), vacuum: seconds(inserted, performance.now()) } };
}

/**
 * The plan of `sql` (EXPLAIN ANALYZE, BUFFERS) with its run time, buffers and whether it scans
 * executions. `sql` is as knex sent it to PostgreSQL ($1 placeholders), so it goes through pg.
 */
export async function explain(client, sql, bindings) {
  const rows = (await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, bindings)).rows;
  const text = rows.map((row) => row['QUERY PLAN']).join('\n');
  const buffers = text.split('\n').find((line) => line.includes('Buffers:')) ?? '';
  const count = (kind) => Number(buffers.match(new RegExp(`${kind}=(\\d+)`))?.[1] ?? 0);
  return { text, seqScan: /Seq Scan on executions/.test(text), buffers: count('hit') + count('read'), executionMs: Number(text.match(/Execution Time: ([\d.]+) ms/)?.[1]) };
}
