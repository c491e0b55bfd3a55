import knex, { type Knex } from 'knex';

/**
 * A knex pool on the restapi database (PostgreSQL), small: a worker runs one execution at a time.
 * `url` may carry libpq's TLS parameters (`?uselibpqcompat=true&sslmode=require`), read by pg;
 * with `ca` (a worker host's CONTROLLER_CA_FILE), TLS verified against it instead (verifiedConnection).
 */
export function openDatabase(url: string, ca?: string): Knex {
  return knex({ client: 'pg', connection: ca === undefined ? { connectionString: url } : verifiedConnection(url, ca), pool: { min: 0, max: 4 } });
}

/**
 * pg lets the URL's TLS parameters replace an `ssl` object given beside it, so with a CA the
 * parameters leave the URL and TLS is set here: verified against `ca`, host name included
 * (libpq's sslmode=verify-full).
 */
function verifiedConnection(url: string, ca: string): { connectionString: string; ssl: { ca: string; rejectUnauthorized: true } } {
  const parsed = new URL(url);
  for (const name of ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'uselibpqcompat', 'ssl']) parsed.searchParams.delete(name);
  return { connectionString: parsed.toString(), ssl: { ca, rejectUnauthorized: true } };
}
