import type { Knex } from 'knex';
import * as initial from './001_initial.js';
import * as identity from './002_identity.js';
import * as fairShare from './003_fair_share.js';
import * as listOrder from './004_list_order.js';
import * as reuse from './005_reuse.js';
import * as listKeys from './006_list_keys.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Every migration, in order. Listed in code so that compiled and ts-jest runs load the same set. */
const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['001_initial', initial],
  ['002_identity', identity],
  ['003_fair_share', fairShare],
  ['004_list_order', listOrder],
  ['005_reuse', reuse],
  ['006_list_keys', listKeys],
];

/** A knex migration source over the list above. */
export const migrationSource: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: async () => [...migrations],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
