-- One row a tracked request, written in batches by the service, and running totals per
-- endpoint, updated in the same statement as each batch, so reading the total costs the same
-- at 10 million visits as at 10 (no COUNT(*) over visits).
--
-- Taking over the Flask service's database: its visits table (id, timestamp, endpoint,
-- ip_address) has another shape. It is renamed flask_visits and kept as it was, and its rows
-- are counted into visit_totals (method '*': Flask did not record methods), so total_visits
-- includes them (README, "Taking over the Flask service's database").
--
-- Safe to run again (a crash after this commits but before postgrator records it): the file
-- runs as one implicit transaction, every statement is IF NOT EXISTS, and the takeover runs
-- only while a visits table of Flask's shape exists, which it renames in the same transaction.
CREATE TABLE IF NOT EXISTS visit_totals (
  method text NOT NULL,
  route text NOT NULL,
  total bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (route, method)
);

DO $takeover$
BEGIN
  IF EXISTS (
    SELECT 1 FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'visits' AND column_name = 'endpoint'
  ) THEN
    ALTER TABLE visits RENAME TO flask_visits;
    -- The names the new table's key and identity take.
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'visits_pkey' AND conrelid = 'flask_visits'::regclass) THEN
      ALTER TABLE flask_visits RENAME CONSTRAINT visits_pkey TO flask_visits_pkey;
    END IF;
    ALTER SEQUENCE IF EXISTS visits_id_seq RENAME TO flask_visits_id_seq;
    INSERT INTO visit_totals AS t (method, route, total)
    SELECT '*', coalesce(endpoint, 'unknown'), count(*) FROM flask_visits GROUP BY 2 ORDER BY 2
    ON CONFLICT (route, method) DO UPDATE SET total = t.total + EXCLUDED.total;
  END IF;
END
$takeover$;

CREATE TABLE IF NOT EXISTS visits (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  visited_at timestamptz NOT NULL,
  method text NOT NULL,
  route text NOT NULL,
  status_code smallint NOT NULL,
  client_ip text NOT NULL
);

CREATE INDEX IF NOT EXISTS visits_visited_at_idx ON visits USING brin (visited_at);
