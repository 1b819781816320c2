-- Usernames are compared as lib/username.ts normalises them (PRECIS UsernameCaseMapped, RFC 8265):
-- username_key is the name as compared, and the database keeps it unique, so `Admin` and `ａｄｍｉｎ`
-- collide with `admin` however many instances create them at once. The service stores new names
-- normalised, each its own key (plugins/users.ts). Names taken over from the Flask service keep
-- their text; their key is computed here: NFKC (which maps full and half width as PRECIS does,
-- and the other compatibility characters new names may not hold), then lower case by ICU's root
-- locale (Unicode toLowerCase, as JavaScript's), then NFC.
--
-- Two old names with one key (Flask's `Admin` and `admin`) both stay, readable by id: the older
-- (lower id) takes the key, the other keeps none (a unique index admits any number of NULLs), and
-- a new name with that key collides with the older.
--
-- Safe to run again: the column and index are IF NOT EXISTS, and only rows without a key whose
-- key no row holds yet are given one.
ALTER TABLE users ADD COLUMN IF NOT EXISTS username_key text;

-- normalize() needs a UTF8 database, ICU's root locale an ICU build: where either is missing (a
-- database created SQL_ASCII, a server built without ICU) the key is the nearest the server can
-- compute (lower case by the database's collation), so the migration never blocks start-up.
DO $keys$
DECLARE
  key_of text := 'lower(username)';
BEGIN
  IF current_setting('server_encoding') = 'UTF8' THEN
    key_of := CASE WHEN EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')
      THEN 'normalize(lower(normalize(username, NFKC) COLLATE "und-x-icu"), NFC)'
      ELSE 'normalize(lower(normalize(username, NFKC)), NFC)' END;
  END IF;
  EXECUTE format($update$
    UPDATE users AS u SET username_key = k.new_key
    FROM (
      SELECT DISTINCT ON (new_key) id, new_key
      FROM (SELECT id, %s AS new_key FROM users WHERE username_key IS NULL) AS c
      WHERE NOT EXISTS (SELECT 1 FROM users AS o WHERE o.username_key = c.new_key)
      ORDER BY new_key, id
    ) AS k
    WHERE u.id = k.id
  $update$, key_of);
END
$keys$;

CREATE UNIQUE INDEX IF NOT EXISTS users_username_key_idx ON users (username_key);
