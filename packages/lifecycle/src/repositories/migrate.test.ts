import { describe, expect, it } from '@jest/globals';
import knex from 'knex';
import { createDatabase, testServices } from '@plz/testkit';
import { runMigrations } from './migrate.js';

describe('runMigrations', () => {
  it('migrates once when two replicas start at the same time', async () => {
    const url = await createDatabase(testServices().postgresUrl, 'migrate');
    const a = knex({ client: 'pg', connection: url, pool: { min: 0, max: 3 } });
    const b = knex({ client: 'pg', connection: url, pool: { min: 0, max: 3 } });
    try {
      const [first, second] = await Promise.all([runMigrations(a), runMigrations(b)]);
      expect([...first, ...second]).toEqual(['001_initial', '002_identity', '003_fair_share', '004_list_order', '005_reuse', '006_list_keys']);
      const { rows } = await a.raw<{ rows: Array<{ table_name: string }> }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('users','tokens','sweeps','executions') ORDER BY 1",
      );
      expect(rows.map((row) => row.table_name)).toEqual(['executions', 'sweeps', 'tokens', 'users']);
      expect(await runMigrations(a)).toEqual([]);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
  }, 30_000);
});
