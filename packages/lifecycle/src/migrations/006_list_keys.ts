import type { Knex } from 'knex';

/**
 * Indexes whose order is the whole key of the reads that page by it (issue 17, item 6; measured
 * with tools/bench/growth.mjs at 100,000 executions): the executions list (`created_at DESC, id
 * DESC`, `plz list` and the web view) and a project's history (`created_at, id` ascending,
 * `plz history`) page by `(created_at, id)`, and a sweep's executions are read in that order too.
 * An index that ends at `created_at` gives the rows of one project, user or sweep in time order but
 * not the page's order: the planner then preferred walking `executions_created_at_id` backwards and
 * filtering, which reads every newer row of other projects first (26.8 ms and 836 buffers for the
 * first page of a project with 12,000 executions, behind a sweep of 1,000 of another). The heap is
 * in creation order, so the planner still rates that walk as cheap as this index for a query of
 * whole rows; the list therefore reads the page's keys first (an index-only scan here), then its
 * rows (ExecutionsRepository.list).
 * - `executions_project_created_at_id` replaces `(project, created_at)`: the list of one project
 *   (plz list's default) and its next pages, and history batches, are a walk of exactly their rows;
 *   it carries the other filters' columns (state, user, sweep), so that the list's first step (the
 *   keys of the page, ExecutionsRepository.list) filters one project's rows without reading the
 *   table: 19.9 ms before for `state=succeeded` in that project, 0.3 to 6 ms with it;
 * - `executions_project_user_created_at_id`: one user's executions in one project (`plz list
 *   --user`); before, the walk of the project filtered the user, all of the project's rows when
 *   the user has few or none there (29.4 ms and 1,213 buffers);
 * - `executions_user_id_created_at_id` replaces `(user_id, created_at)` (the user filter of
 *   every project, the caller's last execution, the allowance count of high priority: a prefix);
 * - `executions_sweep_id_created_at_id` replaces `(sweep_id)` (a sweep's executions in order).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX executions_project_created_at_id ON executions (project, created_at, id) INCLUDE (state, user_id, sweep_id)');
  await knex.raw('CREATE INDEX executions_project_user_created_at_id ON executions (project, user_id, created_at, id)');
  await knex.raw('CREATE INDEX executions_user_id_created_at_id ON executions (user_id, created_at, id)');
  await knex.raw('CREATE INDEX executions_sweep_id_created_at_id ON executions (sweep_id, created_at, id)');
  await knex.raw('DROP INDEX executions_project_created_at_index');
  await knex.raw('DROP INDEX executions_user_id_created_at_index');
  await knex.raw('DROP INDEX executions_sweep_id_index');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX executions_project_created_at_index ON executions (project, created_at)');
  await knex.raw('CREATE INDEX executions_user_id_created_at_index ON executions (user_id, created_at)');
  await knex.raw('CREATE INDEX executions_sweep_id_index ON executions (sweep_id)');
  await knex.raw('DROP INDEX executions_sweep_id_created_at_id');
  await knex.raw('DROP INDEX executions_user_id_created_at_id');
  await knex.raw('DROP INDEX executions_project_user_created_at_id');
  await knex.raw('DROP INDEX executions_project_created_at_id');
}
