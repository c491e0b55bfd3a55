import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, secret, startProcess, waitUntilReady } from './process.js';
import { toolPaths } from './tools.js';

const run = promisify(execFile);

/** A throwaway PostgreSQL server on 127.0.0.1; `url` connects as its superuser `postgres`. */
export interface PostgresService {
  url: string;
  stop(): Promise<void>;
}

/** uid/gid to run PostgreSQL as: it refuses to run as root, so root uses the `postgres` account. */
async function serverAccount(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return { uid, gid };
}

/**
 * Initialises a cluster in a temporary folder (scram-sha-256, a generated password, fsync off)
 * and starts `postgres` on a free loopback port.
 *
 * @throws Error with the server's output if initdb fails or it is not ready within 60 s.
 */
export async function startPostgres(): Promise<PostgresService> {
  const { postgresBin } = toolPaths();
  const account = await serverAccount();
  const dir = mkdtempSync(path.join(tmpdir(), 'plz-test-pg-'));
  if (account) chownSync(dir, account.uid, account.gid);
  const password = await secret();
  const pwfile = path.join(dir, 'pwfile');
  writeFileSync(pwfile, password, { mode: 0o600 });
  if (account) chownSync(pwfile, account.uid, account.gid);
  const data = path.join(dir, 'data');
  await run(
    path.join(postgresBin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-sync'],
    { ...account },
  );
  rmSync(pwfile);
  const port = await freePort();
  const proc = startProcess(
    'postgres',
    path.join(postgresBin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off',
      '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
    { ...account },
  );
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await waitUntilReady('postgres', proc, async () => {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  });
  return {
    url,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Creates an empty database on the server at `adminUrl` and returns a URL for it.
 * Names are `<prefix>_<random>` so parallel test files never share one.
 */
export async function createDatabase(adminUrl: string, prefix = 'test'): Promise<string> {
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
