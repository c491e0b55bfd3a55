import knex, { type Knex } from 'knex';

/**
 * A knex pool on the restapi database (PostgreSQL), small: a worker runs one execution at a time.
 * `url` may carry libpq's TLS parameters (`?uselibpqcompat=true&sslmode=require`), read by pg.
 */
export function openDatabase(url: string): Knex {
  return knex({ client: 'pg', connection: { connectionString: url }, pool: { min: 0, max: 4 } });
}
