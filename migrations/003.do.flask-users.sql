-- Taking over the Flask service's users table (id SERIAL, username VARCHAR(100) UNIQUE NOT NULL,
-- created_at TIMESTAMP): 001 kept it as it was, with every user's id, name and creation time.
-- This gives it the service's own column types: created_at as timestamptz (Flask wrote UTC
-- without a zone), never null, and 64-bit ids. On the service's own table every step is a no-op.
-- Safe to run again: each change is conditional on the column not having its new type yet.
DO $users$
BEGIN
  IF (SELECT data_type FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'users' AND column_name = 'created_at') = 'timestamp without time zone' THEN
    ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz USING created_at AT TIME ZONE 'UTC';
  END IF;
  IF (SELECT data_type FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'users' AND column_name = 'id') = 'integer' THEN
    ALTER TABLE users ALTER COLUMN id TYPE bigint;
    -- SERIAL's sequence stops at 2^31 - 1 like the column did.
    IF pg_get_serial_sequence('users', 'id') IS NOT NULL THEN
      EXECUTE format('ALTER SEQUENCE %s AS bigint', pg_get_serial_sequence('users', 'id'));
    END IF;
  END IF;
END
$users$;

-- A Flask row may have no creation time (its column allowed NULL): the takeover's time stands in.
UPDATE users SET created_at = now() WHERE created_at IS NULL;
ALTER TABLE users ALTER COLUMN created_at SET DEFAULT now(), ALTER COLUMN created_at SET NOT NULL;
