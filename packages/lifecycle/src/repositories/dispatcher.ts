import type { FairShareSettings } from '@plz/contracts';
import type { Knex } from 'knex';
import type { ExecutionRow } from '../row.js';
import { ExecutionStore, takenStates } from './store.js';
import type { QueueSnapshot, RecordedUse, WaitingExecution } from '../dispatch/order.js';

const taken = takenStates.map((state) => `'${state}'`).join(', ');

/**
 * The next execution of a queue, in one statement over indexes (no scan of the waiting rows):
 * 1. `pairs`: each (priority, user) with waiting executions and its oldest, by a loose index scan
 *    of `executions_waiting` (one index probe per pair: at most 3 × the users waiting). The first
 *    probe too is a LATERAL subquery under `params`: with its ORDER BY … LIMIT 1 above a join to
 *    `params`, PostgreSQL does not take the order from the index and sorts every waiting row (a Seq
 *    Scan of executions at 10,000 waiting, the whole index at 100,000; tools/bench/dispatch.mjs);
 * 2. `candidates`: each pair's oldest waiting execution that is not in backoff: the one `pairs`
 *    found, or, when that one is in backoff, one more probe;
 * 3. `shares`: each of those users' use of the queue's workers: executions ended in the window
 *    (`queue_usage` hour buckets, at least a quantum each) plus the executions the user's workers
 *    hold now (from when taken, at least a quantum each: order.ts chargeSeconds), and how many
 *    they hold (for MAX_RUNNING_PER_USER), in one probe of `executions_taken`. MATERIALIZED, so
 *    that it runs once per user: inlined, its subqueries would run once per candidate;
 * 4. the highest priority, then the fewest whole quanta of use, then the oldest submission;
 *    one row, its `id` and its owner's name (`owner`), or none.
 * Bindings: queue, window seconds, quantum seconds, cap (null: none). Exported for the plan that
 * tools/bench/dispatch.mjs checks (EXPLAIN); `Dispatcher.claimNext` is the way to run it.
 */
export const nextExecutionSql = `
WITH RECURSIVE
params AS (
  SELECT CAST(? AS text) AS queue, CAST(? AS double precision) AS window_s, CAST(? AS double precision) AS quantum, CAST(? AS integer) AS cap, now() AS at
),
pairs AS (
  SELECT f.* FROM params p, LATERAL (
    SELECT e.priority, e.user_id, e.id, e.created_at, e.not_before FROM executions e
    WHERE e.state = 'queued' AND e.queue = p.queue
    ORDER BY e.priority, e.user_id, e.created_at, e.id LIMIT 1) f
  UNION ALL
  SELECT n.* FROM pairs, params p, LATERAL (
    SELECT e.priority, e.user_id, e.id, e.created_at, e.not_before FROM executions e
    WHERE e.state = 'queued' AND e.queue = p.queue AND (e.priority, e.user_id) > (pairs.priority, pairs.user_id)
    ORDER BY e.priority, e.user_id, e.created_at, e.id LIMIT 1) n
),
candidates AS (
  SELECT pairs.priority, pairs.user_id, pairs.id, pairs.created_at FROM pairs, params p
  WHERE pairs.not_before IS NULL OR pairs.not_before <= p.at
  UNION ALL
  SELECT pairs.priority, pairs.user_id, c.id, c.created_at FROM pairs, params p, LATERAL (
    SELECT e.id, e.created_at FROM executions e
    WHERE e.state = 'queued' AND e.queue = p.queue AND e.priority = pairs.priority AND e.user_id = pairs.user_id
      AND (e.not_before IS NULL OR e.not_before <= p.at)
    ORDER BY e.created_at, e.id LIMIT 1) c
  WHERE pairs.not_before > p.at
),
shares AS MATERIALIZED (
  SELECT w.user_id,
    (SELECT greatest(coalesce(sum(u.seconds), 0), coalesce(sum(u.executions), 0) * p.quantum) FROM queue_usage u
      WHERE u.queue = p.queue AND u.user_id = w.user_id AND u.hour >= date_trunc('hour', p.at - make_interval(secs => p.window_s))) AS finished,
    h.held_seconds, h.held
  FROM (SELECT DISTINCT user_id FROM candidates) w, params p, LATERAL (
    SELECT count(*) AS held, coalesce(sum(greatest(
        extract(epoch FROM p.at - greatest(coalesce(e.claimed_at, e.started_at, e.updated_at), p.at - make_interval(secs => p.window_s)))::double precision,
        p.quantum)), 0) AS held_seconds
    FROM executions e WHERE e.state IN (${taken}) AND e.queue = p.queue AND e.user_id = w.user_id) h
)
SELECT n.id, u.name AS owner FROM (
  SELECT c.id, c.user_id FROM candidates c JOIN shares s ON s.user_id = c.user_id, params p
  WHERE p.cap IS NULL OR s.held < p.cap
  ORDER BY c.priority, floor((s.finished + s.held_seconds) / p.quantum), c.created_at, c.id
  LIMIT 1) n JOIN users u ON u.id = n.user_id`;

/** The name nextExecutionSql is prepared under on each connection (pg's `name` of a query). */
export const nextExecutionStatement = 'plz_next_execution';


/**
 * Chooses which execution a worker takes next (issue 20: fair share across users, priorities, a
 * per-user cap), on PostgreSQL, so the order survives restarts of every service and Redis: the
 * BullMQ job that wakes a worker only says that its queue has work (services/worker processJob).
 */
export class Dispatcher {
  constructor(
    private readonly db: Knex,
    private readonly settings: FairShareSettings,
  ) {}

  /**
   * A worker takes the next execution of `queue` (nextExecutionSql): `queued → preparing` with its
   * id, GPUs, the claim time and one more attempt. Claims of one queue are serialised by a
   * transaction-scoped advisory lock, so two workers never pick the same row and the second sees
   * the first one's claim in its ranking.
   *
   * @returns the claimed row with its owner's name, or undefined when nothing can be taken now
   *   (none waiting, all in backoff, or every waiting user at the cap).
   * @throws the PostgreSQL error (nothing was claimed).
   */
  async claimNext(queue: string, workerId: string, gpus: readonly string[]): Promise<ExecutionRow | undefined> {
    return this.db.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`plz:dispatch:${queue}`]);
      // A named statement: pg prepares it once per connection, so that PostgreSQL parses and plans
      // it once rather than on every claim (half of its time at 10,000 waiting: tools/bench/dispatch.mjs).
      const next = (await trx
        .raw(nextExecutionSql, [queue, this.settings.window_seconds, this.settings.quantum_seconds, this.settings.max_running_per_user])
        .options({ name: nextExecutionStatement })) as { rows: Array<{ id: string; owner: string }> };
      const chosen = next.rows[0];
      if (!chosen) return undefined;
      const store = new ExecutionStore(trx);
      const row = await store.move(chosen.id, 'preparing', { from: ['queued'], set: store.claimSet(workerId, gpus) });
      // the row as store.get returns it, without reading it again: a round trip less per claim
      return row ? { ...row, user: chosen.owner } : undefined;
    });
  }

  /**
   * What the order of `queue` depends on, read in one transaction: the waiting executions, each
   * user's recorded use and held executions, and the typical duration (order.ts predictStarts).
   * Reads every waiting row's id, user, priority and times: for views, not for dispatch.
   *
   * @param workers live workers of the queue (from their heartbeats).
   * @returns the snapshot, and the names of the users it mentions by id.
   */
  async snapshot(queue: string, workers: number): Promise<{ snapshot: QueueSnapshot; names: Map<string, string> }> {
    return this.db.transaction(
      async (trx) => {
        const at = ((await trx.raw('SELECT now() AS at')) as { rows: Array<{ at: Date }> }).rows[0]!.at;
        const windowStart = trx.raw(`date_trunc('hour', now() - make_interval(secs => ?))`, [this.settings.window_seconds]);
        // one statement at a time: a transaction is one connection
        const waiting = (await trx('executions')
          .where({ state: 'queued', queue })
          .orderBy([{ column: 'created_at' }, { column: 'id' }])
          .select('id', 'user_id', 'priority', 'created_at', 'not_before')) as WaitingExecution[];
        const held = (await trx('executions')
          .whereIn('state', takenStates)
          .where({ queue })
          .select('user_id', trx.raw('coalesce(claimed_at, started_at, updated_at) AS since'))) as Array<{ user_id: string; since: Date }>;
        const used = (await trx('queue_usage')
          .where({ queue })
          .where('hour', '>=', windowStart)
          .groupBy('user_id')
          .select('user_id', trx.raw('sum(seconds)::double precision AS seconds'), trx.raw('sum(executions)::integer AS executions'))) as Array<{
          user_id: string;
          seconds: number;
          executions: number;
        }>;
        const use = new Map<string, RecordedUse>();
        const entry = (userId: string): RecordedUse => {
          let found = use.get(userId);
          if (!found) use.set(userId, (found = { finishedSeconds: 0, finishedExecutions: 0, held: [] }));
          return found;
        };
        for (const row of used) Object.assign(entry(row.user_id), { finishedSeconds: row.seconds, finishedExecutions: row.executions });
        for (const row of held) entry(row.user_id).held.push(row.since);
        const totalSeconds = used.reduce((sum, row) => sum + row.seconds, 0);
        const totalExecutions = used.reduce((sum, row) => sum + row.executions, 0);
        const ids = [...new Set([...waiting.map((row) => row.user_id), ...use.keys()])];
        const names = new Map(((await trx('users').whereIn('id', ids).select('id', 'name')) as Array<{ id: string; name: string }>).map((row) => [row.id, row.name]));
        return {
          snapshot: {
            queue,
            at,
            waiting,
            use,
            workers,
            typicalSeconds: totalExecutions > 0 ? totalSeconds / totalExecutions : this.settings.quantum_seconds,
            settings: this.settings,
          },
          names,
        };
      },
      { isolationLevel: 'repeatable read', readOnly: true },
    );
  }

  /**
   * The id of an execution of `queue` that a worker could take now (waiting, not in backoff), or
   * undefined: an idle worker asks, to wake itself when no job woke it (one probe of
   * `executions_waiting`; the per-user cap is not considered).
   */
  async firstClaimable(queue: string): Promise<string | undefined> {
    const row = (await this.db('executions')
      .where({ state: 'queued', queue })
      .where((query) => query.whereNull('not_before').orWhere('not_before', '<=', this.db.fn.now()))
      .first('id')) as { id: string } | undefined;
    return row?.id;
  }

  /**
   * Milliseconds until the first backoff among `queue`'s waiting executions ends (by the
   * database's clock; one probe of `executions_backoff`), or null when none is in backoff. A worker
   * that found nothing to take asks, so that a wake-up job which came a moment early, or was lost,
   * does not leave an execution waiting for the reconciler.
   */
  async nextBackoffEndMs(queue: string): Promise<number | null> {
    const row = (await this.db.raw(
      `SELECT ceil(extract(epoch FROM min(not_before) - now()) * 1000)::integer AS ms FROM executions WHERE state = 'queued' AND queue = ? AND not_before IS NOT NULL`,
      [queue],
    )) as { rows: Array<{ ms: number | null }> };
    const ms = row.rows[0]?.ms ?? null;
    return ms === null ? null : Math.max(0, ms);
  }

  /**
   * Whether `userId` has an execution waiting in `queue` (one probe of `executions_waiting` per
   * priority). A worker asks when one of the user's executions ends under a per-user cap: the
   * jobs that woke workers while the user was at the cap found nothing to take and are gone.
   */
  async hasWaiting(queue: string, userId: string): Promise<boolean> {
    return (await this.db('executions').where({ state: 'queued', queue, user_id: userId }).whereIn('priority', [0, 1, 2]).first('id')) !== undefined;
  }

  /** Queues with waiting or held executions (one probe of each partial index per queue). */
  async activeQueues(): Promise<string[]> {
    const rows = (await this.db.raw(`
      SELECT DISTINCT queue FROM executions WHERE state = 'queued'
      UNION SELECT DISTINCT queue FROM executions WHERE state IN (${taken})`)) as { rows: Array<{ queue: string }> };
    return rows.rows.map((row) => row.queue).sort();
  }
}
