import type { Knex } from 'knex';
import { migrationSource } from '../migrations/index.js';

/** Arbitrary constant naming the advisory lock that serialises migrations across replicas. */
const migrationLockKey = 7_420_011;

/**
 * Brings the plz database schema (every table: users, tokens, sessions, sweeps, executions) up to date. Safe when several replicas start at once: a
 * PostgreSQL advisory lock (held for the whole run, on one pooled connection) lets one migrate while
 * the others wait, then find nothing left to do.
 *
 * @returns the names of the migrations applied by this call.
 */
export async function runMigrations(db: Knex): Promise<string[]> {
  const connection = await db.client.acquireConnection();
  try {
    await db.raw('SELECT pg_advisory_lock(?)', [migrationLockKey]).connection(connection);
    const [, applied] = (await db.migrate.latest({ migrationSource, tableName: 'knex_migrations' })) as [number, string[]];
    return applied;
  } finally {
    await db.raw('SELECT pg_advisory_unlock(?)', [migrationLockKey]).connection(connection).catch(() => undefined);
    await db.client.releaseConnection(connection);
  }
}
