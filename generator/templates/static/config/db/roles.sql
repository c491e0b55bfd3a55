-- Roles and databases of a plz deployment, with least privilege. Run by step 70 of
-- ./init-deployment.sh as the superuser, over the db container's local socket, with the psql
-- variables postgres_password, restapi_password, worker_password and mlflow_password set.
-- Every statement is safe to repeat: objects are created only when missing, and the passwords are
-- set again (which is how --rotate-secrets reaches the database).
\set ON_ERROR_STOP on

ALTER ROLE postgres WITH PASSWORD :'postgres_password';

-- One login role per service: no superuser, no role or database creation.
SELECT 'CREATE ROLE restapi' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'restapi') \gexec
SELECT 'CREATE ROLE worker' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'worker') \gexec
SELECT 'CREATE ROLE mlflow' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mlflow') \gexec
ALTER ROLE restapi WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'restapi_password';
ALTER ROLE worker WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'worker_password';
ALTER ROLE mlflow WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'mlflow_password';

-- The REST API's database (knex migrations run as its owner) and MLflow's backend store.
SELECT 'CREATE DATABASE restapi OWNER restapi' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'restapi') \gexec
SELECT 'CREATE DATABASE mlflow OWNER mlflow' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'mlflow') \gexec

-- Nobody else connects: each service reaches its own database only, the worker the REST API's.
REVOKE ALL ON DATABASE postgres FROM PUBLIC;
REVOKE ALL ON DATABASE restapi FROM PUBLIC;
REVOKE ALL ON DATABASE mlflow FROM PUBLIC;
GRANT CONNECT ON DATABASE restapi TO worker;

\connect restapi
-- PostgreSQL 15: the public schema belongs to the database owner (restapi) and others cannot create
-- in it; the worker keeps USAGE (granted to PUBLIC) to reach the executions table.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- The worker updates the state of executions and reads their owners' names (and nothing else). The table is created later, by
-- the REST API's first migration, so the grant is made by an event trigger when a table is created
-- or altered, owned by the superuser; the DO block below covers a database migrated earlier.
CREATE OR REPLACE FUNCTION plz_grant_worker_privileges() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF to_regclass('public.executions') IS NOT NULL THEN
    GRANT SELECT, UPDATE ON public.executions TO worker;
  END IF;
  -- The owner's name of a claimed execution (the MLflow run's mlflow.user tag): two columns, no more.
  IF EXISTS (SELECT FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users' AND column_name = 'name') THEN
    GRANT SELECT (id, name) ON public.users TO worker;
  END IF;
END
$$;
REVOKE ALL ON FUNCTION plz_grant_worker_privileges() FROM PUBLIC;
SELECT 'CREATE EVENT TRIGGER plz_grant_worker_privileges ON ddl_command_end WHEN TAG IN (''CREATE TABLE'', ''ALTER TABLE'') EXECUTE FUNCTION plz_grant_worker_privileges()'
WHERE NOT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'plz_grant_worker_privileges') \gexec
DO $$
BEGIN
  IF to_regclass('public.executions') IS NOT NULL THEN
    GRANT SELECT, UPDATE ON public.executions TO worker;
  END IF;
  -- The owner's name of a claimed execution (the MLflow run's mlflow.user tag): two columns, no more.
  IF EXISTS (SELECT FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users' AND column_name = 'name') THEN
    GRANT SELECT (id, name) ON public.users TO worker;
  END IF;
END
$$;

\connect mlflow
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
