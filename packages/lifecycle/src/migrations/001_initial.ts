import type { Knex } from 'knex';

/**
 * Users, API tokens (sha256 of the token, never the token), sweeps and executions.
 * The executions columns follow ExecutionRecord in @plz/contracts; workers update the
 * columns that record marks (worker).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pgcrypto');
  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable().unique();
    t.text('role').notNullable().checkIn(['admin', 'user']);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('disabled_at', { useTz: true });
  });
  await knex.schema.createTable('tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('token_sha256').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
  });
  await knex.schema.createTable('sweeps', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('project').notNullable();
    t.uuid('user_id').notNullable().references('users.id');
    t.jsonb('spec').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('executions', (t) => {
    t.uuid('id').primary();
    t.text('project').notNullable();
    t.text('name');
    t.jsonb('tags').notNullable().defaultTo('[]');
    t.uuid('user_id').notNullable().references('users.id');
    t.text('state').notNullable().checkIn(['queued', 'preparing', 'running', 'harvesting', 'succeeded', 'failed', 'stopped', 'error']);
    t.text('queue').notNullable();
    t.text('snapshot').notNullable();
    t.jsonb('input');
    t.jsonb('parameters').notNullable().defaultTo('{}');
    t.jsonb('resources').notNullable().defaultTo('{}');
    t.integer('max_run_seconds');
    t.uuid('sweep_id').references('sweeps.id');
    t.uuid('rerun_of').references('executions.id');
    t.integer('exit_code');
    t.text('error');
    t.text('worker_id');
    t.jsonb('gpus');
    t.text('mlflow_experiment_id');
    t.text('mlflow_run_id');
    t.jsonb('measures');
    t.jsonb('summary');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['project', 'created_at']);
    t.index(['user_id', 'created_at']);
    t.index(['state']);
    t.index(['sweep_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('executions');
  await knex.schema.dropTable('sweeps');
  await knex.schema.dropTable('tokens');
  await knex.schema.dropTable('users');
}
