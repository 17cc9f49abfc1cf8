-- The app's PostgreSQL role: it reads and writes the records, and may only add to the
-- audit trail. Run as the owner role (the one `tracker init` migrates with) after every
-- `tracker init`, so tables a migration added are covered too:
--
--   psql "postgresql://tracker_owner@db.example/tracker" -v app=tracker_app \
--        -f deploy/postgres-roles.sql
--
-- The app role owns nothing, so it can neither drop the audit table's triggers nor alter
-- the table; without UPDATE, DELETE and TRUNCATE on audit_log it cannot change or remove
-- a row even if the triggers were gone.

\set ON_ERROR_STOP on

GRANT USAGE ON SCHEMA public TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";

-- The audit trail: read and add, never change or remove.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM :"app";
-- The schema's revision is the owner's to change, when it migrates.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM :"app";
