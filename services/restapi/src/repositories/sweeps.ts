import type { SweepSummary } from '@plz/contracts';
import type { Knex } from 'knex';
import { iso } from './database.js';
import { insertRow, type NewExecution } from '@plz/lifecycle';

/** A sweep as stored, with its owner's name and id. */
export interface StoredSweep {
  id: string;
  project: string;
  user: string;
  user_id: string;
  spec: unknown;
  created_at: string;
}

/** The `sweeps` table. */
export class SweepsRepository {
  constructor(private readonly db: Knex) {}

  /** Inserts the sweep and its executions (state `queued`) in one transaction. */
  async create(sweep: { id: string; project: string; user_id: string; spec: unknown }, executions: readonly NewExecution[]): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('sweeps').insert({ ...sweep, spec: JSON.stringify(sweep.spec) });
      await trx('executions').insert(executions.map((row) => insertRow(row, this.db)));
    });
  }

  /** The sweep with this id, or null. */
  async find(id: string): Promise<StoredSweep | null> {
    const row = await this.db('sweeps')
      .join('users', 'users.id', 'sweeps.user_id')
      .where('sweeps.id', id)
      .first('sweeps.id', 'sweeps.project', 'users.name as user', 'sweeps.user_id', 'sweeps.spec', 'sweeps.created_at');
    return row ? { ...row, created_at: iso(row.created_at)! } : null;
  }

  /** Sweeps, newest first, optionally of one project, with their number of executions. */
  async list(project: string | undefined, limit: number): Promise<SweepSummary[]> {
    const query = this.db('sweeps')
      .join('users', 'users.id', 'sweeps.user_id')
      .select('sweeps.id', 'sweeps.project', 'users.name as user', 'sweeps.created_at')
      .select(this.db.raw('(SELECT count(*) FROM executions WHERE executions.sweep_id = sweeps.id)::int AS size'))
      .orderBy('sweeps.created_at', 'desc')
      .limit(limit);
    if (project) query.where('sweeps.project', project);
    const rows = (await query) as Array<Omit<SweepSummary, 'created_at'> & { created_at: Date }>;
    return rows.map((row) => ({ ...row, created_at: iso(row.created_at)! }));
  }
}
