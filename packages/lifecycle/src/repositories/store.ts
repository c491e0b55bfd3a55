import type { Knex } from 'knex';
import type { ExecutionState } from '@plz/contracts';
import type { ExecutionEnd, ExecutionRow, NewExecution } from '../row.js';
import { sourcesOf } from '../transitions.js';

const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

/** States in which a worker holds the execution. */
export const takenStates = ['preparing', 'running', 'harvesting'] as const satisfies readonly ExecutionState[];

/** An execution a worker holds, as the reconciler sees it. */
export interface TakenExecution {
  id: string;
  state: (typeof takenStates)[number];
  worker_id: string | null;
  queue: string;
  updated_at: Date;
}

/**
 * A row of `executions` ready to insert (state `queued`): JSON columns as text, since pg would turn
 * a JS array into a PostgreSQL array; `created_at` from clock_timestamp() (not now()), so that the
 * rows of one multi-row insert get increasing times.
 */
export function insertRow(row: NewExecution, db: Knex): Record<string, unknown> {
  return {
    ...row,
    state: 'queued',
    tags: JSON.stringify(row.tags),
    input: json(row.input),
    parameters: JSON.stringify(row.parameters),
    resources: JSON.stringify(row.resources),
    created_at: db.raw('clock_timestamp()'),
  };
}

/**
 * The state of executions in PostgreSQL (table `executions`), for the REST API and the workers
 * alike. Every state change is one conditional UPDATE through `move`, which checks it against the
 * transitions table first: a row changes only from the states the table allows, never out of a
 * terminal state, so a row is claimed, harvested and ended once even when workers, the REST API
 * and the reconciler race. Pass a transaction as `db` to take part in one.
 */
export class ExecutionStore {
  constructor(private readonly db: Knex) {}

  /** Inserts new executions in state `queued` in one statement; returns the stored rows. */
  async insert(rows: readonly NewExecution[]): Promise<ExecutionRow[]> {
    if (rows.length === 0) return [];
    return (await this.db('executions').insert(rows.map((row) => insertRow(row, this.db))).returning('*')) as ExecutionRow[];
  }

  /**
   * The newest execution of `userId` that ran and succeeded with reuse key `reuseKey`, or undefined:
   * one probe of the partial index `executions_reusable` (migration 005_reuse). Only the user's own
   * executions: another user's results are never taken as one's own (their owner can still change
   * the artifacts of their MLflow run).
   */
  async reusable(reuseKey: string, userId: string): Promise<ExecutionRow | undefined> {
    return (await this.reusableQuery(reuseKey, userId).first()) as ExecutionRow | undefined;
  }

  /** The query of `reusable` (for EXPLAIN in tests and benchmarks). */
  reusableQuery(reuseKey: string, userId: string): Knex.QueryBuilder {
    return this.db('executions')
      .where({ reuse_key: reuseKey, user_id: userId, state: 'succeeded' })
      .whereNull('reused_from')
      .orderBy('finished_at', 'desc')
      .limit(1)
      .select('*');
  }

  /**
   * Inserts a new execution that takes the results of `source` (a succeeded execution that ran):
   * born `succeeded` and ended now, with `reused_from` = source's id and its exit code, note,
   * measures, summary and MLflow experiment and run (where its output and log are: every read of
   * them resolves to the source's). It is no state change: it never was `queued`, no worker takes
   * it, and the usage trigger (migration 003, on UPDATE of `state`) does not fire, so it charges no
   * worker time to anyone; no MLflow run is created for it. Its priority is `normal` (rank 1): it
   * never waited, and counts against no allowance of `high` executions.
   *
   * @returns the stored row (without `user`).
   */
  async insertReused(row: NewExecution, source: Pick<ExecutionRow, 'id' | 'exit_code' | 'error' | 'measures' | 'summary' | 'mlflow_experiment_id' | 'mlflow_run_id'>): Promise<ExecutionRow> {
    const [stored] = (await this.db('executions')
      .insert({
        ...insertRow({ ...row, priority: 1 }, this.db),
        state: 'succeeded',
        reused_from: source.id,
        exit_code: source.exit_code,
        error: source.error,
        measures: json(source.measures),
        summary: json(source.summary),
        mlflow_experiment_id: source.mlflow_experiment_id,
        mlflow_run_id: source.mlflow_run_id,
        finished_at: this.db.raw('clock_timestamp()'),
      })
      .returning('*')) as ExecutionRow[];
    return stored!;
  }

  /** The execution with its owner's name (`user`), or undefined. */
  async get(id: string): Promise<ExecutionRow | undefined> {
    return (await this.db('executions')
      .join('users', 'users.id', 'executions.user_id')
      .where('executions.id', id)
      .first('executions.*', 'users.name as user')) as ExecutionRow | undefined;
  }

  /**
   * The one conditional UPDATE of `executions.state`: `from` (defaults to every state the table
   * lets reach `to`) → `to`, setting `set` and `updated_at`, where `where` adds conditions.
   *
   * @returns the updated row (without `user`), or undefined when the row was in none of `from` or
   *   failed `where` (nothing changed).
   * @throws Error when one of `from → to` is not in the transitions table.
   */
  async move(
    id: string,
    to: ExecutionState,
    options: { from?: readonly ExecutionState[]; set?: Record<string, unknown>; where?: (query: Knex.QueryBuilder) => void } = {},
  ): Promise<ExecutionRow | undefined> {
    const from = sourcesOf(to, options.from);
    const query = this.db('executions').where('id', id).whereIn('state', from);
    options.where?.(query);
    const [row] = (await query.update({ ...options.set, state: to, updated_at: this.db.fn.now() }).returning('*')) as ExecutionRow[];
    return row;
  }

  /**
   * A worker takes the execution: `queued → preparing`, or a `preparing` one again when it was this
   * worker's or `takeOverFrom`'s (a dead worker's). Records the worker id and its GPUs.
   *
   * @returns the row with its owner's name, or undefined when it is in any other state (another
   *   worker has it, or it ended).
   */
  async claim(id: string, workerId: string, gpus: readonly string[], takeOverFrom?: string): Promise<ExecutionRow | undefined> {
    const owners = [workerId, ...(takeOverFrom ? [takeOverFrom] : [])];
    const row = await this.move(id, 'preparing', {
      from: ['queued', 'preparing'],
      set: this.claimSet(workerId, gpus),
      where: (query) => query.andWhere((inner) => inner.where('state', 'queued').orWhereIn('worker_id', owners)),
    });
    return row ? this.get(id) : undefined;
  }

  /** The columns a claim sets: the worker and its GPUs, the time, one more attempt, no backoff. */
  claimSet(workerId: string, gpus: readonly string[]): Record<string, unknown> {
    return { worker_id: workerId, gpus: JSON.stringify(gpus), claimed_at: this.db.fn.now(), attempts: this.db.raw('attempts + 1'), not_before: null };
  }

  /**
   * `preparing → queued` for another worker to take (nothing of the job ran yet: a transient failure
   * while preparing, or its worker is gone). Only when `workerId` (if given) holds it. The MLflow
   * run recorded, if any, is kept and reused by the next worker. With `backoffMs`, no worker takes
   * it for that long (by the database's clock); it keeps its place in the queue (its submission time).
   */
  async release(id: string, workerId?: string, backoffMs = 0): Promise<boolean> {
    const row = await this.move(id, 'queued', {
      from: ['preparing'],
      set: { worker_id: null, gpus: null, claimed_at: null, not_before: backoffMs > 0 ? this.db.raw('now() + make_interval(secs => ?)', [backoffMs / 1000]) : null },
      where: (query) => (workerId ? query.where('worker_id', workerId) : undefined),
    });
    return row !== undefined;
  }

  /**
   * Sets the priority rank (contracts priorityRank) of a still-`queued` execution (not a state
   * change); false when it left `queued`.
   */
  async setPriority(id: string, rank: number): Promise<boolean> {
    return (await this.db('executions').where({ id, state: 'queued' }).update({ priority: rank, updated_at: this.db.fn.now() })) === 1;
  }

  /** Records the MLflow experiment and run of the execution (not a state change). */
  async recordRun(id: string, experimentId: string, runId: string): Promise<void> {
    await this.db('executions').where({ id }).update({ mlflow_experiment_id: experimentId, mlflow_run_id: runId, updated_at: this.db.fn.now() });
  }

  /** `preparing → running` with the container's start time; false when the row left `preparing` or is not `workerId`'s. */
  async markRunning(id: string, workerId: string, startedAt: Date): Promise<boolean> {
    return (await this.move(id, 'running', { from: ['preparing'], set: { started_at: startedAt }, where: (query) => query.where('worker_id', workerId) })) !== undefined;
  }

  /**
   * `running → harvesting`, or a `harvesting` row of this worker again (a harvest cut short by a
   * restart is redone: uploads overwrite, metrics carry fixed timestamps).
   *
   * @returns false when the harvest is not this worker's to do (ended, or another worker's).
   */
  async markHarvesting(id: string, workerId: string): Promise<boolean> {
    return (await this.move(id, 'harvesting', { from: ['running', 'harvesting'], where: (query) => query.where('worker_id', workerId) })) !== undefined;
  }

  /**
   * Records the end: `succeeded`/`failed` from `harvesting` only, `stopped`/`error` from any state
   * that is not terminal. With `workerId`, only while that worker holds the row (or it is still
   * `queued`).
   *
   * @returns false when nothing changed (already ended, or not this worker's).
   */
  async finish(id: string, end: ExecutionEnd, workerId?: string): Promise<boolean> {
    const row = await this.move(id, end.state, {
      set: {
        exit_code: end.exitCode,
        error: end.error,
        measures: json(end.measures),
        summary: json(end.summary),
        finished_at: this.db.fn.now(),
      },
      where: (query) => (workerId ? query.andWhere((inner) => inner.where('worker_id', workerId).orWhere('state', 'queued')) : undefined),
    });
    return row !== undefined;
  }

  /** Ends a still-`queued` execution as `stopped` or `error` with `reason`; false when it left `queued` (a worker took it). */
  async endQueued(id: string, state: 'stopped' | 'error', reason: string | null = null): Promise<boolean> {
    return (await this.move(id, state, { from: ['queued'], set: { error: reason, finished_at: this.db.fn.now() } })) !== undefined;
  }

  /**
   * Ends an execution a worker holds (`preparing`, `running`, `harvesting`) as `stopped` or `error`
   * with `reason`, when that worker is gone and cannot end it itself. With `workerId`, only while
   * that worker still holds it.
   */
  async endTaken(id: string, state: 'stopped' | 'error', reason: string, workerId?: string): Promise<boolean> {
    return (
      (await this.move(id, state, {
        from: takenStates,
        set: { error: reason, finished_at: this.db.fn.now() },
        where: (query) => (workerId ? query.where('worker_id', workerId) : undefined),
      })) !== undefined
    );
  }

  /** Executions `workerId` holds (`preparing`, `running`, `harvesting`): what it recovers at start. */
  async listActive(workerId: string): Promise<Array<Pick<ExecutionRow, 'id' | 'state'>>> {
    return (await this.db('executions').where({ worker_id: workerId }).whereIn('state', takenStates).select('id', 'state')) as Array<Pick<ExecutionRow, 'id' | 'state'>>;
  }

  /**
   * Per queue with queued executions: how many, how many of them are in backoff, the oldest's
   * submission time, and one of their ids (what the reconciler compares with the queue's BullMQ
   * jobs). One pass over the waiting index.
   */
  async queuedByQueue(): Promise<Array<{ queue: string; queued: number; in_backoff: number; oldest: Date; some_id: string }>> {
    return (await this.db('executions')
      .where('state', 'queued')
      .groupBy('queue')
      .select(
        'queue',
        this.db.raw('count(*)::integer AS queued'),
        this.db.raw('(count(*) FILTER (WHERE not_before > now()))::integer AS in_backoff'),
        this.db.raw('min(created_at) AS oldest'),
        this.db.raw('min(id::text) AS some_id'),
      )) as Array<{ queue: string; queued: number; in_backoff: number; oldest: Date; some_id: string }>;
  }

  /** Every execution a worker holds (`preparing`, `running`, `harvesting`). */
  async taken(): Promise<TakenExecution[]> {
    return (await this.db('executions').whereIn('state', takenStates).select('id', 'state', 'worker_id', 'queue', 'updated_at')) as TakenExecution[];
  }
}
