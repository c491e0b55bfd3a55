import knex, { type Knex } from 'knex';

/** A knex pool on the restapi database (PostgreSQL), small: a worker runs one execution at a time. */
export function openDatabase(url: string): Knex {
  return knex({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
}
