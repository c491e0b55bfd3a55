import type { Knex } from 'knex';

/**
 * Fair sharing of the queues (issue 20):
 * - `executions.priority` (0 high, 1 normal, 2 low; contracts priorityRank), `attempts` (claims so
 *   far: a transient failure while preparing puts the execution back until the last attempt),
 *   `claimed_at` (when a worker took it: its use of the worker counts from there) and `not_before`
 *   (the backoff of an execution put back after a transient failure);
 * - `executions_waiting`, the index the dispatcher walks: per queue and priority, one entry per user
 *   found by skipping (a loose index scan), then that user's oldest waiting execution; and
 *   `executions_backoff`, the waiting executions in backoff (when the next one's backoff ends);
 * - `queue_usage`: worker-seconds each user took of each queue, per hour. A trigger records an
 *   execution's use when it ends, whoever ends it (a worker, the REST API, the reconciler), split
 *   over the hours it held its worker, and counts it in the hour it ended;
 * - `users.high_priority_allowance`: a user's own allowance of `high` executions per window
 *   (null: the deployment's HIGH_PRIORITY_ALLOWANCE).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE executions
      ADD COLUMN priority smallint NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 2),
      ADD COLUMN attempts integer NOT NULL DEFAULT 0,
      ADD COLUMN claimed_at timestamptz,
      ADD COLUMN not_before timestamptz`);
  await knex.raw(`CREATE INDEX executions_waiting ON executions (queue, priority, user_id, created_at, id) WHERE state = 'queued'`);
  await knex.raw(`CREATE INDEX executions_taken ON executions (queue, user_id) WHERE state IN ('preparing', 'running', 'harvesting')`);
  await knex.raw(`CREATE INDEX executions_backoff ON executions (queue, not_before) WHERE state = 'queued' AND not_before IS NOT NULL`);
  await knex.raw(`ALTER TABLE users ADD COLUMN high_priority_allowance integer CHECK (high_priority_allowance >= 0)`);
  await knex.raw(`
    CREATE TABLE queue_usage (
      queue text NOT NULL,
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      hour timestamptz NOT NULL,
      seconds double precision NOT NULL DEFAULT 0,
      executions integer NOT NULL DEFAULT 0,
      PRIMARY KEY (queue, user_id, hour)
    )`);
  // Only the deployment's roles can connect to this database (roles.sql revokes CONNECT from
  // PUBLIC): this lets the workers' dispatcher read use without a grant that an existing
  // deployment would only get by running init again.
  await knex.raw('GRANT SELECT ON queue_usage TO PUBLIC');
  await knex.raw(`
    CREATE FUNCTION plz_record_usage() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
      ended timestamptz := clock_timestamp();
      began timestamptz := least(coalesce(OLD.claimed_at, OLD.started_at, OLD.updated_at, ended), ended);
      bucket timestamptz := date_trunc('hour', began);
    BEGIN
      WHILE bucket <= ended LOOP
        INSERT INTO queue_usage AS usage (queue, user_id, hour, seconds, executions)
        VALUES (
          NEW.queue, NEW.user_id, bucket,
          greatest(0, extract(epoch FROM least(ended, bucket + interval '1 hour') - greatest(began, bucket))),
          CASE WHEN bucket = date_trunc('hour', ended) THEN 1 ELSE 0 END)
        ON CONFLICT (queue, user_id, hour) DO UPDATE
          SET seconds = usage.seconds + EXCLUDED.seconds, executions = usage.executions + EXCLUDED.executions;
        bucket := bucket + interval '1 hour';
      END LOOP;
      RETURN NULL;
    END
    $$`);
  await knex.raw('REVOKE ALL ON FUNCTION plz_record_usage() FROM PUBLIC');
  await knex.raw(`
    CREATE TRIGGER executions_usage AFTER UPDATE OF state ON executions FOR EACH ROW
    WHEN (OLD.state IN ('preparing', 'running', 'harvesting') AND NEW.state IN ('succeeded', 'failed', 'stopped', 'error'))
    EXECUTE FUNCTION plz_record_usage()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER executions_usage ON executions');
  await knex.raw('DROP FUNCTION plz_record_usage()');
  await knex.raw('DROP TABLE queue_usage');
  await knex.raw('ALTER TABLE users DROP COLUMN high_priority_allowance');
  await knex.raw('DROP INDEX executions_backoff');
  await knex.raw('DROP INDEX executions_taken');
  await knex.raw('DROP INDEX executions_waiting');
  await knex.raw('ALTER TABLE executions DROP COLUMN priority, DROP COLUMN attempts, DROP COLUMN claimed_at, DROP COLUMN not_before');
}
