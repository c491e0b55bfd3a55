import knex, { type Knex } from 'knex';

export type { Knex } from 'knex';

/**
 * Opens a pool of PostgreSQL connections (knex + pg) to the restapi database.
 *
 * @param url `postgres://user:password@host:port/database`, optionally with libpq's TLS parameters
 *   read by pg's own parser (`?uselibpqcompat=true&sslmode=require`, as a deployment with
 *   PostgreSQL TLS passes them).
 * @param poolMax most connections held at once.
 */
export function openDatabase(url: string, poolMax = 10): Knex {
  return knex({ client: 'pg', connection: { connectionString: url }, pool: { min: 0, max: poolMax }, acquireConnectionTimeout: 10_000 });
}

/** Runs `SELECT 1` (readiness probe). */
export async function pingDatabase(db: Knex): Promise<void> {
  await db.raw('SELECT 1');
}

/** True when `error` is PostgreSQL's unique_violation (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** ISO 8601 text of a timestamptz column value, null kept. */
export function iso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
