import type { ExecutionState, ExecutionStatus } from '@plz/contracts';
import { ExecutionStore, type NewExecution } from '@plz/lifecycle';
import type { Knex } from 'knex';
import { historyEntryText, measuresTextSql, type HistoryRow, type HistorySourceRow } from './history-rows.js';
import { cursorAtSql, recordColumns, recordColumnsWithoutMeasures, statusColumns, toRecord, toStatus, type ExecutionRow } from './execution-rows.js';

export type { NewExecution } from '@plz/lifecycle';
export type { HistoryRow } from './history-rows.js';

/** An execution as stored: the API record plus its owner's user id. */
export type StoredExecution = ReturnType<typeof toRecord>;

/** Filters of the execution list; all optional, combined with AND. */
export interface ExecutionFilter {
  project?: string;
  user?: string;
  states?: readonly ExecutionState[];
  since?: Date;
  until?: Date;
  sweepId?: string;
}

/** What a read of records leaves out: `measures: false` reads them as null (pages that do not show them). */
export interface ReadOptions {
  measures?: boolean;
}

/** Position after the last row of a page: its created_at (text, microseconds) and id. */
export interface ListPosition {
  createdAt: string;
  id: string;
}

/**
 * The REST API's reads of `executions` (API records, pages, projects, sweeps); rows are created and
 * change state only through the lifecycle package's ExecutionStore (`store`).
 */
export class ExecutionsRepository {
  /** The state owner: inserts and every state change. */
  readonly store: ExecutionStore;

  constructor(private readonly db: Knex) {
    this.store = new ExecutionStore(db);
  }

  /** Records joined with their user; `measures: false` reads every column but measures (then null). */
  private records(measures = true) {
    const query = this.db('executions').join('users', 'users.id', 'executions.user_id');
    return measures ? query.select(...recordColumns) : query.select(...recordColumnsWithoutMeasures, this.db.raw('NULL::jsonb AS measures'));
  }

  /**
   * Inserts new executions (state `queued`) of the user `userName` in one statement.
   * @returns them as stored (no second read).
   */
  async insert(rows: readonly NewExecution[], userName: string): Promise<StoredExecution[]> {
    const inserted = await this.store.insert(rows);
    return inserted.map((row) => toRecord({ ...row, user: userName }));
  }

  /**
   * Inserts an execution of the user `userName` that takes the results of `source`
   * (ExecutionStore.insertReused: born `succeeded`, nothing queued).
   */
  async insertReused(row: NewExecution, source: Parameters<ExecutionStore['insertReused']>[1], userName: string): Promise<StoredExecution> {
    return toRecord({ ...(await this.store.insertReused(row, source)), user: userName });
  }

  /** The execution with this id, or null. */
  async find(id: string): Promise<StoredExecution | null> {
    const row = (await this.records().where('executions.id', id).first()) as ExecutionRow | undefined;
    return row ? toRecord(row) : null;
  }

  /**
   * How many executions `userId` submitted at priority rank `priority` in the last `seconds`
   * (the `(user_id, created_at)` index).
   */
  async countSubmittedSince(userId: string, priority: number, seconds: number): Promise<number> {
    const row = (await this.db('executions')
      .where({ user_id: userId, priority })
      .where('created_at', '>=', this.db.raw('now() - make_interval(secs => ?)', [seconds]))
      .count({ count: '*' })
      .first()) as { count: string | number } | undefined;
    return Number(row?.count ?? 0);
  }

  /** The short status of the execution, or null. One indexed read of a few columns. */
  async status(id: string): Promise<ExecutionStatus | null> {
    const row = await this.db('executions')
      .where({ id })
      .first(...statusColumns);
    return row ? toStatus(row) : null;
  }

  /**
   * One page of executions matching `filter`, newest first, starting after `after`; fetches one
   * row more than `limit` to tell whether another page exists. `options.measures: false` leaves
   * measures out (null).
   */
  async list(filter: ExecutionFilter, limit: number, after?: ListPosition, options: ReadOptions = {}): Promise<{ rows: StoredExecution[]; next: ListPosition | null }> {
    // The page's keys first, then its rows (a deferred join): the keys come from an index-only scan
    // of the index that matches the filters (migrations 004 and 006_list_keys), whose planner cost
    // does not depend on how the matching rows lie in the table; a query of whole rows would walk
    // (created_at, id) and filter whenever the table's creation order makes that look cheaper,
    // reading every newer row of other projects (tools/bench/growth.mjs).
    const keys = this.db('executions').select('id');
    if (filter.project) keys.where('project', filter.project);
    // The user's id first (names are unique), so that an index on user_id gives the page in order;
    // a join condition on users.name read and sorted every execution of the user.
    if (filter.user) keys.where('user_id', this.db('users').select('id').where('name', filter.user));
    if (filter.states?.length) keys.whereIn('state', filter.states);
    if (filter.since) keys.where('created_at', '>=', filter.since);
    if (filter.until) keys.where('created_at', '<', filter.until);
    if (filter.sweepId) keys.where('sweep_id', filter.sweepId);
    if (after) keys.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', [after.createdAt, after.id]);
    keys.orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ]).limit(limit + 1);
    const rows = (await this.records(options.measures ?? true)
      .select(this.db.raw(cursorAtSql))
      .join(keys.as('page'), 'page.id', 'executions.id')
      .orderBy([
        { column: 'executions.created_at', order: 'desc' },
        { column: 'executions.id', order: 'desc' },
      ])) as ExecutionRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const next = rows.length > limit && last ? { createdAt: last.cursor_at!, id: last.id } : null;
    return { rows: page.map(toRecord), next };
  }

  /**
   * The history of a project in creation order: each execution's entry as JSON text
   * (historyEntryText: the value historyEntry gives for the row, with the measures' text as
   * PostgreSQL writes it, never parsed by pg nor serialised again), read `batchSize` (500) at a
   * time by key `(created_at, id)` (the `executions_project_created_at_id` index; no OFFSET), so a
   * project of any size never sits in memory at once: at most two batches, since the next batch is
   * asked for as soon as a batch arrives, so that PostgreSQL reads it while this one is sent (one
   * statement at a time still).
   *
   * @throws the database's error, from the read of the batch where it fails (the first one before anything is yielded).
   */
  async *history(project: string, batchSize = 500): AsyncGenerator<HistoryRow> {
    const read = async (after: ListPosition | undefined): Promise<HistoryRow[]> => {
      const query = this.records(false).select(this.db.raw(cursorAtSql), this.db.raw(measuresTextSql)).where('executions.project', project);
      if (after) query.whereRaw('(executions.created_at, executions.id) > (?::timestamptz, ?::uuid)', [after.createdAt, after.id]);
      const rows = (await query.orderBy([
        { column: 'executions.created_at', order: 'asc' },
        { column: 'executions.id', order: 'asc' },
      ]).limit(batchSize)) as HistorySourceRow[];
      return rows.map((row) => ({ id: row.id, cursor_at: row.cursor_at, entry: historyEntryText(row) }));
    };
    let batch = read(undefined);
    for (;;) {
      const rows = await batch;
      const last = rows[rows.length - 1];
      if (rows.length < batchSize || !last) {
        yield* rows;
        return;
      }
      batch = read({ createdAt: last.cursor_at, id: last.id });
      // A consumer that stops early leaves this read unawaited: its failure must not be an unhandled rejection.
      batch.catch(() => undefined);
      yield* rows;
    }
  }

  /** Executions of a sweep in creation order (parameter-set order); `options.measures: false` leaves measures out (null). */
  async ofSweep(sweepId: string, options: ReadOptions = {}): Promise<StoredExecution[]> {
    const rows = (await this.records(options.measures ?? true).where('executions.sweep_id', sweepId).orderBy([
      { column: 'executions.created_at', order: 'asc' },
      { column: 'executions.id', order: 'asc' },
    ])) as ExecutionRow[];
    return rows.map(toRecord);
  }

  /**
   * Ends an execution that a worker took (`preparing`, `running` or `harvesting`) as `state`, with
   * `reason`, when that worker is gone and cannot end it itself; false when the state moved on.
   */
  async endTaken(id: string, state: 'stopped' | 'error', reason: string): Promise<boolean> {
    return this.store.endTaken(id, state, reason);
  }

  /**
   * Ends a still-queued execution in `state` (`stopped`, or `error` with `reason`); false when it
   * had left `queued` already (a worker took it).
   */
  async endQueued(id: string, state: 'stopped' | 'error', reason: string | null = null): Promise<boolean> {
    return this.store.endQueued(id, state, reason);
  }
}
