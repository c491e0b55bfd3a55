import type { Knex } from 'knex';

/**
 * Results reused (issue 17 item 5):
 * - `executions.reuse_key`: the reuse key the REST API computes at submission (restapi
 *   services/executions/reuse-key.ts: sha256 of the canonical JSON of snapshot, input, parameters,
 *   resources, queue and time limit); null for executions stored before this migration, which are
 *   never reused;
 * - `executions.reused_from`: the earlier execution whose results a reused execution took (it was
 *   born `succeeded`, ran nothing and has no MLflow run of its own);
 * - `executions_reusable`: the partial index a `reuse` submission looks up, one entry per succeeded
 *   execution that ran (reused ones point at the one that ran), by key and owner, newest end first,
 *   so a match is one index probe whatever the size of the table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE executions ADD COLUMN reuse_key text, ADD COLUMN reused_from uuid REFERENCES executions(id)');
  await knex.raw(`CREATE INDEX executions_reusable ON executions (reuse_key, user_id, finished_at DESC) WHERE state = 'succeeded' AND reused_from IS NULL AND reuse_key IS NOT NULL`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX executions_reusable');
  await knex.raw('ALTER TABLE executions DROP COLUMN reused_from, DROP COLUMN reuse_key');
}
