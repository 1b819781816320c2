-- A visit's client address as PostgreSQL's inet: only an IP address can be stored (the service
-- validates it first, lib/client-address.ts), and NULL where none was known (a connection gone
-- before its request was read). Text the column held before (an X-Forwarded-For header stored
-- as given) that is not an address becomes NULL.
-- Safe to run again: the change happens only while the column is still text.
DO $inet$
BEGIN
  IF (SELECT data_type FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'visits' AND column_name = 'client_ip') = 'text' THEN
    CREATE FUNCTION pg_temp.visit_inet(value text) RETURNS inet LANGUAGE plpgsql IMMUTABLE AS $f$
    BEGIN
      RETURN value::inet;
    EXCEPTION WHEN others THEN
      RETURN NULL;
    END
    $f$;
    ALTER TABLE visits ALTER COLUMN client_ip DROP NOT NULL,
      ALTER COLUMN client_ip TYPE inet USING pg_temp.visit_inet(client_ip);
  END IF;
END
$inet$;
