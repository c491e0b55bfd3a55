import type { Knex } from 'knex';

/**
 * Indexes in the order of the executions list (newest first: `created_at DESC, id DESC`, the
 * REST API's list and the web view's `/executions`, issue 16), so that a page is a walk of an
 * index that stops after its rows rather than a read and sort of every matching row
 * (tools/bench/web-pages.mjs found both at 10,000 executions):
 * - `executions_created_at_id`: the list without filters and its next pages (the cursor is the row
 *   comparison `(created_at, id) < (…)`, an index condition here); before, a Seq Scan of the table;
 * - `executions_state_created_at_id` replaces the index on `state` alone (every query that used
 *   it can use this one's first column): the list of one state; before, a Seq Scan for a common
 *   state such as `succeeded`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX executions_created_at_id ON executions (created_at, id)');
  await knex.raw('CREATE INDEX executions_state_created_at_id ON executions (state, created_at, id)');
  await knex.raw('DROP INDEX executions_state_index');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX executions_state_index ON executions (state)');
  await knex.raw('DROP INDEX executions_state_created_at_id');
  await knex.raw('DROP INDEX executions_created_at_id');
}
