import type { Knex } from 'knex';

/**
 * Identity beyond API tokens: tokens may expire; browser sessions (the cookie carries a secret
 * whose sha256 is stored, never the secret); one-time login links (`plz ui`), stored by the
 * sha256 of their code, usable once before they expire.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tokens', (t) => {
    t.timestamp('expires_at', { useTz: true });
  });
  await knex.schema.createTable('sessions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('secret_sha256').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('ended_at', { useTz: true });
    t.index(['expires_at']);
  });
  await knex.schema.createTable('login_links', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('code_sha256').notNullable().unique();
    t.text('next').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('login_links');
  await knex.schema.dropTable('sessions');
  await knex.schema.alterTable('tokens', (t) => {
    t.dropColumn('expires_at');
  });
}
